# Stand-in for docker.io/library/python:3.11-slim-bookworm, from Debian bookworm's own Python 3.11:
# `python` and `pip` on PATH as in the upstream image, `python -m venv` works, pip may install.
FROM localhost/facerec-standin-base:bookworm
RUN rm -f /usr/lib/python3.*/EXTERNALLY-MANAGED \
 && ln -s /usr/bin/python3 /usr/local/bin/python \
 && ln -s /usr/bin/python3 /usr/local/bin/python3
ENV LANG=C.UTF-8
CMD ["python3"]
