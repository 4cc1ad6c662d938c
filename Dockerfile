# odsim as a small image: one static binary on an empty base.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/odsim ./cmd/odsim

FROM scratch
COPY --from=build /out/odsim /odsim
USER 65534:65534
# 30223: Open Dental API (odsim serve); 2097: odsim listen; 3307: embedded database.
EXPOSE 30223 2097 3307
ENTRYPOINT ["/odsim"]
CMD ["serve", "--listen", "0.0.0.0:30223", "--embedded-addr", "0.0.0.0:3307"]
