# resume-chat in one container: nginx on port 7860 and the FastCGI worker, both as uid 1000
# (Hugging Face Spaces' Docker SDK runs containers as uid 1000). Settings and secrets come
# only from the environment (ANTHROPIC_API_KEY, DATABASE_*, SESSION_SECRET, ...: see
# .env.example); the image holds none and no .env (.dockerignore).
#
#   make image        builds it here with buildah (scripts/build-image)
#   make test-image   builds, runs and checks it (scripts/test-image)
#   docker build -t resume-chat . && docker run -p 7860:7860 -e ANTHROPIC_API_KEY=... \
#     -e DATABASE_HOST=... (the other DATABASE_*, SESSION_SECRET) resume-chat
#
# BASE_IMAGE: the Debian 12 image both stages start from. scripts/build-image passes a local
# one made with debootstrap when no registry is reachable.
ARG BASE_IMAGE=debian:bookworm-slim

# --- stage 1: build with the -dev packages ----------------------------------------------------
FROM ${BASE_IMAGE} AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      g++ make pkg-config ca-certificates \
      libfcgi-dev libpq-dev libcurl4-openssl-dev libmstch-dev libboost-dev rapidjson-dev libssl-dev \
      libpoppler-cpp-dev libzip-dev libexpat1-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The whole context (.dockerignore leaves out build outputs, .git, .run and .env), so
# whatever `make` needs (scripts, static files to fingerprint, ...) is there.
COPY . .
# `make` builds build/resume-chat and whatever else its default target writes under build/
# (content-hashed static files, the page template and starters.txt beside it:
# scripts/hash-static). /app is then the
# whole runtime tree, without objects and test binaries, readable by everyone (some build
# outputs are created 0600 and the worker runs as uid 1000, not as their owner root).
# Certificates (*.crt) at the root of the repository, e.g. a managed database's public CA
# (DATABASE_SSLROOTCERT=/home/user/app/do-ca.crt), are shipped too.
RUN make -j"$(nproc)" \
 && strip --strip-unneeded build/resume-chat \
 && mkdir -p /app/nginx /app/docker \
 && cp -a build /app/build \
 && rm -rf /app/build/obj /app/build/pic /app/build/tests /app/build/fuzz-replay /app/build/*.a \
 && find /app/build -name '*.d' -delete \
 && cp -a static templates prompts migrations /app/ \
 && { cp -a ./*.crt /app/ 2>/dev/null || true; } \
 && cp nginx/standalone.conf.in nginx/locations.conf.in nginx/security-headers.conf.in /app/nginx/ \
 && cp docker/entrypoint /app/docker/ \
 && chmod -R u=rwX,go=rX /app \
 && chmod 755 /app/docker/entrypoint /app/build/resume-chat

# --- stage 2: runtime libraries only --------------------------------------------------------
FROM ${BASE_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
# libmstch-dev ships only a static libmstch.a (linked in); Boost and RapidJSON are headers.
# libpoppler-cpp0v5, libzip4 and libexpat1: the binary's `documents put` (PDF and DOCX
# text), so `resume-chat COMMAND` also works inside the container.
# Debian's `nginx` package is the binary with the built-in modules (fastcgi, gzip, limit_req,
# limit_conn, realip, ...): all that nginx/locations.conf.in uses, without the module packages
# nginx-core or nginx-light pull in. tini is PID 1: it forwards signals and reaps orphans
# (-s: also as a subreaper where the runtime gives no PID namespace, e.g. buildah run).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libfcgi0ldbl libpq5 libcurl4 libssl3 libpoppler-cpp0v5 libzip4 libexpat1 \
      nginx ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* /var/log/nginx/* /etc/nginx/sites-enabled/* \
 && useradd --create-home --uid 1000 --user-group --shell /bin/bash user

ENV HOME=/home/user
WORKDIR /home/user/app
# Owned by root, so read-only for uid 1000; everything written at run time goes to /tmp.
COPY --from=build /app ./
# Fails the build if a shared library of the worker or of its PDF/DOCX readers (loaded by
# `resume-chat documents put`) is missing from this stage.
RUN ! ldd build/resume-chat build/libresume-chat-readers.so | grep 'not found' \
 && nginx -v

# GNUTLS_NO_IMPLICIT_INIT: libcurl's RTMP dependency loads GnuTLS, which the worker never
# uses (libcurl speaks OpenSSL); skipping its load-time initialisation saves ~0.9 MB of RSS.
# STOP_TIMEOUT_S: a container runtime's stop timeout (Docker's default 10 s); the grace leaves
# 5 s of it to store the replies a shutdown stops.
ENV APP_PORT=7860 \
    FCGI_SOCKET=/tmp/resume-chat/worker.sock \
    SHUTDOWN_GRACE_S=4 \
    STOP_TIMEOUT_S=10 \
    GNUTLS_NO_IMPLICIT_INIT=1
USER 1000:1000
EXPOSE 7860
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "-s", "--", "/home/user/app/docker/entrypoint"]
