# nginx from Debian's packages on the local base, for machines that cannot pull nginx:alpine.
ARG BASE_IMAGE=local/python:3.11-slim
FROM ${BASE_IMAGE}
# Stand-ins track Debian stable's security updates, so versions are not pinned.
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends nginx-light \
    && rm -rf /var/lib/apt/lists/* && ln -sf /dev/stdout /var/log/nginx/access.log \
    && ln -sf /dev/stderr /var/log/nginx/error.log
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
