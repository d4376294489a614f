# A local stand-in for node:24-bookworm-slim (npm run test:container --
# --local-base-images): Debian minbase, node, and the host's npm. It also
# trusts the host's CA bundle, for a machine that intercepts TLS to the npm
# registry; that belongs here, never in the project's Dockerfile.
FROM local/debian-minbase:bookworm
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    NPM_CONFIG_CAFILE=/etc/ssl/certs/ca-certificates.crt
