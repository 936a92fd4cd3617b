"""SQL on a running stack's PostgreSQL as the tables' owner (DB_ADMIN_USER), for the scale-out
test and `make bench`: DATABASE_HOST/PORT/NAME and DB_ADMIN_PASSWORD from the environment."""
import os
import subprocess


def sql(query):
    """The query's result as psql -A -t prints it (one value: just the value)."""
    env = dict(os.environ, PGPASSWORD=os.environ["DB_ADMIN_PASSWORD"])
    return subprocess.run(
        ["psql", "-X", "-A", "-t", "-q", "-h", os.environ["DATABASE_HOST"], "-p",
         os.environ["DATABASE_PORT"], "-U", os.environ["DB_ADMIN_USER"], "-d",
         os.environ["DATABASE_NAME"], "-c", query],
        env=env, check=True, capture_output=True, text=True).stdout.strip()
