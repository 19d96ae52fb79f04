// Package deploy holds no code: it is the home of the deployment files
// (Dockerfile, docker-compose, Prometheus rules, Grafana dashboard,
// Kubernetes manifests), and its tests check them against the metrics,
// the config format and a real Prometheus.
package deploy
