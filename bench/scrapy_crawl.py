"""Fetch-only Scrapy peer of the crawl benchmark: a CrawlSpider that follows
in-site links and keeps nothing. Prints "fetched N" (responses, robots.txt
excluded) on stdout when done.

    python3 scrapy_crawl.py URL PARALLEL DEPTH
"""
import sys
from urllib.parse import urlparse

from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule

seed, parallel, depth = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
host = urlparse(seed).hostname
netloc = urlparse(seed).netloc  # the link extractor compares host:port


class Site(CrawlSpider):
    name = "site"
    start_urls = [seed]
    allowed_domains = [host]
    rules = (Rule(LinkExtractor(allow_domains=[netloc]), follow=True),)


process = CrawlerProcess(settings={
    "LOG_LEVEL": "WARNING",
    "ROBOTSTXT_OBEY": True,
    "CONCURRENT_REQUESTS": parallel,
    "CONCURRENT_REQUESTS_PER_DOMAIN": parallel,
    "DOWNLOAD_DELAY": 0,
    "DEPTH_LIMIT": depth,
    "COOKIES_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    "USER_AGENT": "scrapy-bench/1.0",
    "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
})
crawler = process.create_crawler(Site)
process.crawl(crawler)
process.start()
stats = crawler.stats.get_stats()
responses = stats.get("downloader/response_count", 0)
robots = stats.get("robotstxt/response_count", 0)
print("fetched %d" % (responses - robots))
