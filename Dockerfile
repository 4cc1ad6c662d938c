# odsim as a small image: one static binary and the CA certificates on an empty base.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
# go.mod replaces go-icu-regex with odsim's patched copy (store/embedded/icuregex/PATCHES.md).
COPY store/embedded/icuregex/go.mod store/embedded/icuregex/go.sum store/embedded/icuregex/
RUN go mod download
COPY . .
# The build context has no .git (see .dockerignore), so the go command cannot stamp a revision:
# docker build --build-arg VERSION=$(git describe --always --dirty) . names one for odsim --version.
ARG VERSION=
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/odsim ./cmd/odsim

FROM scratch
# CA certificates, so that https:// EndPointUrls verify (Go reads /etc/ssl/certs/ca-certificates.crt);
# odsim serve --ca-file or SSL_CERT_FILE add or replace them for a receiver with a private CA.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/odsim /odsim
USER 65534:65534
# 30223: Open Dental API (odsim serve); 2097: odsim listen; 3307: embedded database.
EXPOSE 30223 2097 3307
ENTRYPOINT ["/odsim"]
CMD ["serve", "--listen", "0.0.0.0:30223", "--embedded-addr", "0.0.0.0:3307"]
