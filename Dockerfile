# keyferry operator image. Build: docker build -t keyferry:0.1.0 .
# Stage 1 compiles TypeScript with all dependencies; stage 2 holds production
# dependencies and the compiled output only, and runs as a non-root user.
ARG NODE_VERSION=20.20

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY providers ./providers
RUN npm run build
# The template engine: Go's text/template with ESO's v2 functions, compiled to WebAssembly.
COPY --from=golang:1.26-bookworm /usr/local/go /usr/local/go
COPY tools/template-engine ./tools/template-engine
RUN cd tools/template-engine && GOOS=wasip1 GOARCH=wasm /usr/local/go/bin/go build -buildmode=c-shared -trimpath -ldflags=-s -o /app/dist/template-engine.wasm .

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# package.json also marks dist/ as ES modules ("type": "module").
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY manifests/crds ./manifests/crds
# Numeric, so the kubelet can check runAsNonRoot; matches the Deployment's runAsUser.
USER 65532:65532
# /metrics: 8443 with --metrics-secure (as the manifests run it), 8080 plain; 8081 health.
EXPOSE 8443 8080 8081
ENTRYPOINT ["node", "bin/keyferry.js"]
CMD ["run"]
