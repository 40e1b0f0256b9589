#!/usr/bin/env python3
"""check_scraping_docs.py DOC — checks the scrape configurations in
docs/SCRAPING.md: every ```yaml block parses (PyYAML); a block with
scrape_configs uses only keys Parca's loader accepts (parca-dev/parca
pkg/config/config.go decodes with KnownFields, so an unknown key is an
error; its HTTP client keys are prometheus/common's HTTPClientConfig, its
targets Prometheus's static_configs); a block with receivers is a Collector
configuration whose profiles pipeline names only receivers and exporters it
defines, each pprof receiver with a remote endpoint URL. Prints every
profile path the blocks point at (the Alloy blocks' `path = "..."` too), one
a line, for the caller to fetch from a live target. Exits 1 on a problem."""
import re
import sys
import urllib.parse

import yaml

HTTP_CLIENT = {"basic_auth", "authorization", "oauth2", "bearer_token", "bearer_token_file",
               "tls_config", "proxy_url", "no_proxy", "proxy_from_environment",
               "proxy_connect_header", "follow_redirects", "enable_http2", "http_headers"}
SD = {"static_configs", "file_sd_configs", "dns_sd_configs", "kubernetes_sd_configs",
      "consul_sd_configs", "ec2_sd_configs", "http_sd_configs"}
SCRAPE = {"job_name", "params", "scrape_interval", "scrape_timeout", "scheme",
          "normalized_addresses", "profiling_config", "relabel_configs"} | HTTP_CLIENT | SD
TOP = {"object_storage", "scrape_configs"}
PPROF = {"enabled", "path", "delta", "keep_sample_type"}
AUTHZ = {"type", "credentials", "credentials_file"}
TLS = {"ca", "ca_file", "cert", "cert_file", "key", "key_file", "server_name",
       "insecure_skip_verify", "min_version", "max_version"}
STATIC = {"targets", "labels"}

problems = []
paths = set()


def unknown(where, d, allowed):
    if not isinstance(d, dict):
        problems.append("%s is not a mapping" % where)
        return
    for k in d:
        if k not in allowed:
            problems.append("%s: unknown key %r" % (where, k))


def check_parca(doc, n):
    unknown("block %d" % n, doc, TOP)
    for i, job in enumerate(doc["scrape_configs"]):
        where = "block %d job %d" % (n, i)
        unknown(where, job, SCRAPE)
        if not job.get("job_name"):
            problems.append(where + ": no job_name")
        for sc in job.get("static_configs", []):
            unknown(where + " static_configs", sc, STATIC)
            for t in sc.get("targets", []):
                if "/" in t:
                    problems.append(where + ": target %r is a URL, not host:port" % t)
        if "authorization" in job:
            unknown(where + " authorization", job["authorization"], AUTHZ)
        if "tls_config" in job:
            unknown(where + " tls_config", job["tls_config"], TLS)
        pc = job.get("profiling_config")
        if pc is not None:
            unknown(where + " profiling_config", pc, {"pprof_config", "path_prefix"})
            for name, prof in pc.get("pprof_config", {}).items():
                unknown("%s pprof_config.%s" % (where, name), prof, PPROF)
                if "path" in prof:
                    paths.add(prof["path"])


def check_otel(doc, n):
    where = "block %d" % n
    receivers = doc.get("receivers", {})
    exporters = doc.get("exporters", {})
    for name, r in receivers.items():
        if name.split("/")[0] != "pprof":
            continue
        if not isinstance(r, dict) or not isinstance(r.get("remote"), dict):
            problems.append("%s: receiver %s has no remote block" % (where, name))
            continue
        url = urllib.parse.urlsplit(r["remote"].get("endpoint", ""))
        if url.scheme not in ("http", "https") or not url.path.startswith("/debug/pprof/"):
            problems.append("%s: receiver %s endpoint %r" % (where, name, r["remote"].get("endpoint")))
        paths.add(url.path + ("?" + url.query if url.query else ""))
    pipe = doc.get("service", {}).get("pipelines", {}).get("profiles")
    if not pipe:
        problems.append(where + ": no profiles pipeline")
        return
    for r in pipe.get("receivers", []):
        if r not in receivers:
            problems.append("%s: pipeline receiver %s undefined" % (where, r))
    for e in pipe.get("exporters", []):
        if e not in exporters:
            problems.append("%s: pipeline exporter %s undefined" % (where, e))


def main():
    text = open(sys.argv[1]).read()
    blocks = re.findall(r"^```(\w+)\n(.*?)^```", text, re.M | re.S)
    n_yaml = 0
    for n, (lang, body) in enumerate(blocks, 1):
        if lang == "alloy":
            paths.update(re.findall(r'path\s*=\s*"([^"]+)"', body))
            continue
        if lang != "yaml":
            continue
        n_yaml += 1
        try:
            doc = yaml.safe_load(body)
        except yaml.YAMLError as e:
            problems.append("block %d does not parse: %s" % (n, e))
            continue
        if not isinstance(doc, dict):
            problems.append("block %d is not a mapping" % n)
        elif "scrape_configs" in doc:
            check_parca(doc, n)
        elif "receivers" in doc:
            check_otel(doc, n)
        else:
            problems.append("block %d is neither Parca's nor the Collector's" % n)
    if n_yaml < 4:
        problems.append("only %d yaml blocks" % n_yaml)
    for p in problems:
        print("check_scraping_docs: " + p, file=sys.stderr)
    for p in sorted(paths):
        print(p)
    sys.exit(1 if problems else 0)


main()
