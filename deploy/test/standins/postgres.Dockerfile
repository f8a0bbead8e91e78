# Stand-in for docker.io/pgvector/pgvector:pg17, from Debian trixie's postgresql-17 and
# postgresql-17-pgvector. Same contract as the upstream image: POSTGRES_USER / _PASSWORD / _DB
# create the role and database on first start, data in /var/lib/postgresql/data (PGDATA),
# port 5432, pg_isready on PATH, SIGINT for a fast shutdown.
FROM localhost/facerec-standin-base:trixie
RUN mkdir -p /etc/postgresql-common \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-17 postgresql-17-pgvector \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
ENV PATH=/usr/lib/postgresql/17/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
