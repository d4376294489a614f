# A local stand-in for gcr.io/distroless/nodejs24-debian12 (npm run
# test:container -- --local-base-images), for a machine that reaches no image
# registry: Debian minbase with node at the same path and the same "nonroot"
# user (uid 65532). It still has a shell, which distroless lacks, so the
# checks in image.test.ts never use one.
FROM local/debian-minbase:bookworm
COPY node /nodejs/bin/node
RUN echo 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >> /etc/passwd \
 && echo 'nonroot:x:65532:' >> /etc/group \
 && mkdir -p /home/nonroot && chown 65532:65532 /home/nonroot
ENTRYPOINT ["/nodejs/bin/node"]
