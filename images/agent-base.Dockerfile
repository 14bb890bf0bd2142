# syntax=docker/dockerfile:1.7
#
# Base image for Kelos agent images. It implements the agent image interface (see
# images/README.md): /kelos_entrypoint.sh runs the Kelos entrypoint, which prepares the
# agent (setup command, instructions, MCP servers), runs the agent CLI with the prompt and
# reports outputs through the termination message. An agent image adds its CLI:
#
#   FROM ghcr.io/kelos-ts/agent-base:<version>
#   USER root
#   RUN npm install -g @anthropic-ai/claude-code@<version>
#   USER 61100
#
# Build from the repository root (images/README.md; images/build.sh builds it with buildah):
#
#   docker build -f images/agent-base.Dockerfile -t ghcr.io/kelos-ts/agent-base:dev .

# Node 24 on Debian bookworm, pinned by digest. Any base with Node 24 and apt on Debian
# bookworm will do: the tests build on one assembled from Debian packages and the npm `node`
# package (images/local-base.sh).
ARG BASE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d
FROM ${BASE}

# git for the agent, tini to reap the agent's children, gh for pull requests (optional:
# --build-arg INSTALL_GH=false leaves it out).
ARG INSTALL_GH=true
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates git openssh-client tini curl; \
    if [ "$INSTALL_GH" = "true" ]; then \
      install -d -m 0755 /etc/apt/keyrings; \
      curl -fsSL https://cli.github.com/packages/githubcli-archive-keyring.gpg -o /etc/apt/keyrings/githubcli-archive-keyring.gpg; \
      chmod go+r /etc/apt/keyrings/githubcli-archive-keyring.gpg; \
      echo "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/githubcli-archive-keyring.gpg] https://cli.github.com/packages stable main" > /etc/apt/sources.list.d/github-cli.list; \
      apt-get update; \
      apt-get install -y --no-install-recommends gh; \
    fi; \
    rm -rf /var/lib/apt/lists/*

# The agent user: UID/GID 61100, shared with the init containers and the Pod's fsGroup.
RUN groupadd --gid 61100 agent \
 && useradd --uid 61100 --gid 61100 --create-home --home-dir /home/agent --shell /bin/bash agent \
 && mkdir -p /workspace/repo /home/agent/.local/bin \
 && chown -R 61100:61100 /workspace /home/agent

# The entrypoint and capture step: the JavaScript `npm run build` emits into lib/ (run it
# first; images/build.sh does). Only the modules they import are copied
# (test/unit/agent/images.test.ts checks this list).
COPY --chown=0:0 images/kelos-package.json /kelos/package.json
COPY --chown=0:0 lib/src/agent /kelos/agent
COPY --chown=0:0 lib/src/contract /kelos/contract
COPY --chown=0:0 --chmod=0755 images/kelos_entrypoint.sh /kelos_entrypoint.sh
COPY --chown=0:0 --chmod=0755 images/kelos-capture.sh /kelos/kelos-capture
# gh that re-reads the mounted, kubelet-refreshed token on every call.
COPY --chown=0:0 --chmod=0755 images/gh-wrapper.sh /usr/local/bin/gh

USER 61100:61100
ENV HOME=/home/agent \
    PATH=/home/agent/.local/bin:/usr/local/bin:/usr/bin:/bin \
    KELOS_REAL_GH=/usr/bin/gh
WORKDIR /workspace/repo
ENTRYPOINT ["/usr/bin/tini", "-g", "--", "/kelos_entrypoint.sh"]
