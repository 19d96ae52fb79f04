// Reads WARC files with webrecorder's warcio and prints one JSON line per
// record: its headers, and the payload digest it states next to the one
// computed here from the payload warcio read. Usage: node verify.mjs FILE...
import { createReadStream } from "node:fs";
import { createHash } from "node:crypto";
import { WARCParser } from "warcio";

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32(buf) {
  let bits = 0, value = 0, out = "";
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

// digest computes a payload digest in the algorithm and encoding of want
// ("sha1:BASE32" or "sha256:hex").
function digest(want, payload) {
  const [algo, value] = want.split(":", 2);
  const name = algo.toLowerCase().replace("-", "");
  const sum = createHash(name).update(payload).digest();
  const hex = /^[0-9a-f]+$/i.test(value) && value.length === sum.length * 2;
  return algo + ":" + (hex ? sum.toString("hex") : base32(sum));
}

for (const file of process.argv.slice(2)) {
  const parser = new WARCParser(createReadStream(file));
  for await (const record of parser) {
    const h = record.warcHeaders;
    const payload = await record.readFully(false);
    const out = {
      file,
      offset: parser.offset,
      type: record.warcType,
      id: h.headers.get("WARC-Record-ID") || "",
      uri: h.headers.get("WARC-Target-URI") || "",
      date: h.headers.get("WARC-Date") || "",
      concurrentTo: h.headers.get("WARC-Concurrent-To") || "",
      refersTo: h.headers.get("WARC-Refers-To") || "",
      refersToURI: h.headers.get("WARC-Refers-To-Target-URI") || "",
      refersToDate: h.headers.get("WARC-Refers-To-Date") || "",
      profile: h.headers.get("WARC-Profile") || "",
      payloadDigest: h.headers.get("WARC-Payload-Digest") || "",
      status: record.httpHeaders ? Number(record.httpHeaders.statusCode || 0) : 0,
      payloadLength: payload.length,
    };
    if (out.payloadDigest) out.computedDigest = digest(out.payloadDigest, payload);
    console.log(JSON.stringify(out));
  }
}
