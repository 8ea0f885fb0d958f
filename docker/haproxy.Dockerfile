# The load balancer of compose.yaml: Debian's HAProxy (the package `make run-cluster` uses),
# with docker/haproxy.cfg and the French error answers written by bot/haproxy.py.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends haproxy curl \
    && rm -rf /var/lib/apt/lists/*
COPY docker/haproxy.cfg /usr/local/etc/haproxy/haproxy.cfg
COPY docker/errors/ /usr/local/etc/haproxy/errors/
USER haproxy
EXPOSE 5005
CMD ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg", "-db"]
