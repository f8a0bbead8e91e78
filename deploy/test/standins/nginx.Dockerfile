# Stand-in for docker.io/library/nginx:1.27-alpine, from Debian's nginx (grpc and http2 built in):
# same config path, mime.types beside it, `wget` for the healthcheck, nginx in the foreground.
FROM localhost/facerec-standin-base:bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-light wget \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/* \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && ln -sf /dev/stderr /var/log/nginx/error.log
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
