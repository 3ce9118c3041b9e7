#!/usr/bin/env bash
# Run csvdrop locally: SeaweedFS with S3 on 127.0.0.1:8333 and the app under
# gunicorn on 127.0.0.1:8000. `make run` calls this once .venv exists.
# Everything lives under .local/ and survives for the next run; Ctrl-C or
# SIGTERM stops what this script started, by PID.
set -euo pipefail
cd "$(dirname "$0")/.."

root=$PWD
bin=$root/.venv/bin
# The defaults are the documented ones; the test of this script moves the
# state and every port aside so it can run next to a developer's own stack.
state=${CSVDROP_RUN_STATE:-$root/.local}
s3_port=${CSVDROP_RUN_S3_PORT:-8333}
app_address=127.0.0.1:${CSVDROP_RUN_APP_PORT:-8000}
read -r master_port master_grpc volume_port volume_grpc filer_port filer_grpc \
  s3_grpc metrics_port <<<"${CSVDROP_RUN_OTHER_PORTS:-9333 19333 9340 19340 8888 18888 18333 9327}"
bucket=csvdrop
# Multipart uploads older than this are aborted at start (see below).
stale_seconds=${CSVDROP_RUN_STALE_SECONDS:-3600}

data=$state/seaweedfs
mkdir -p "$data" "$state/csvdrop"
chmod 700 "$state"

# Credentials are made once, on this machine only, and never committed.
umask 077
secret() {
  local file=$state/csvdrop/$1
  [ -s "$file" ] || "$bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))' >"$file"
  cat "$file"
}
access_key=local-$(secret s3-access-key | tr -dc 'a-zA-Z0-9' | cut -c1-16)
secret_key=$(secret s3-secret-key)
sse_key=$(secret s3-sse-key)
token_secret_file=$state/csvdrop/token-secret
secret token-secret >/dev/null
cat >"$state/csvdrop/s3.json" <<EOF
{"identities": [{"name": "csvdrop", "credentials": [{"accessKey": "$access_key", "secretKey": "$secret_key"}], "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
EOF
umask 022

pids=()
stop() {
  trap - INT TERM EXIT
  echo "run: stopping" >&2
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    # weed can take most of a minute to stop on its own; give it ten seconds.
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  # weed leaves a unix socket per port in /tmp; these ports are ours.
  for port in "$master_grpc" "$volume_grpc" "$filer_port" "$filer_grpc" "$s3_port" "$s3_grpc"; do
    rm -f /tmp/seaweedfs-*-"$port".sock
  done
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

# Every port is explicit and on loopback; telemetry to the SeaweedFS project
# is switched off so nothing leaves the machine.
WEED_S3_SSE_KEY=$sse_key "$bin/weed" server \
  -dir="$data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -master.port="$master_port" -master.port.grpc="$master_grpc" -master.telemetry=false \
  -master.volumeSizeLimitMB=1024 -volume.max=32 \
  -volume.port="$volume_port" -volume.port.grpc="$volume_grpc" \
  -filer.port="$filer_port" -filer.port.grpc="$filer_grpc" \
  -s3 -s3.port="$s3_port" -s3.port.grpc="$s3_grpc" -s3.config="$state/csvdrop/s3.json" \
  -s3.port.iceberg=0 -s3.port.lance=0 -metricsPort="$metrics_port" \
  >>"$state/seaweedfs.log" 2>&1 &
pids+=($!)
echo "run: SeaweedFS starting (log: $state/seaweedfs.log)" >&2

export CSVDROP_S3_ENDPOINT_URL=http://127.0.0.1:$s3_port
export CSVDROP_S3_BUCKET=$bucket
export CSVDROP_S3_ACCESS_KEY_ID=$access_key
export CSVDROP_S3_SECRET_ACCESS_KEY=$secret_key
export CSVDROP_USERS_FILE=$state/csvdrop/users.json
export CSVDROP_TOKEN_SECRET_FILE=$token_secret_file
export CSVDROP_BIND=$app_address
# Each worker writes its metrics here; last run's counts are stale.
export PROMETHEUS_MULTIPROC_DIR=$state/metrics
rm -rf "$PROMETHEUS_MULTIPROC_DIR"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"

# S3 answers before the filer behind it is ready, so wait for a bucket
# operation to succeed, not just for the port to open.
"$bin/python" - "$bucket" "$stale_seconds" <<'EOF'
import os, sys, time
from datetime import UTC, datetime, timedelta

import boto3
from botocore.exceptions import BotoCoreError, ClientError

bucket = sys.argv[1]
stale_seconds = int(sys.argv[2])
client = boto3.client(
    "s3",
    endpoint_url=os.environ["CSVDROP_S3_ENDPOINT_URL"],
    region_name="us-east-1",
    aws_access_key_id=os.environ["CSVDROP_S3_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["CSVDROP_S3_SECRET_ACCESS_KEY"],
)
deadline = time.monotonic() + 90
while True:
    try:
        client.head_bucket(Bucket=bucket)
        break
    except (BotoCoreError, ClientError):
        try:
            client.create_bucket(Bucket=bucket)
            break
        except (BotoCoreError, ClientError) as err:
            if time.monotonic() > deadline:
                sys.exit(f"run: S3 did not answer in time: {err}")
            time.sleep(0.5)
print(f"run: bucket {bucket} ready", file=sys.stderr)

# Production buckets reap the parts of uploads that a failed or killed request
# could not abort with this lifecycle rule (terraform/modules/storage).
rule = {
    "ID": "abort-incomplete-multipart-uploads",
    "Status": "Enabled",
    "Filter": {"Prefix": ""},
    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2},
}
try:
    client.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={"Rules": [rule]}
    )
    print(f"run: lifecycle rule {rule['ID']} set on {bucket}", file=sys.stderr)
except (BotoCoreError, ClientError) as err:
    print(f"run: lifecycle rule not set: {err}", file=sys.stderr)

# Whether SeaweedFS acts on that rule is not certain, so abort here what a
# crashed upload left behind; an hour is far longer than any upload takes.
stale = datetime.now(UTC) - timedelta(seconds=stale_seconds)
aborted = 0
for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
    for upload in page.get("Uploads", []):
        if upload["Initiated"] < stale:
            client.abort_multipart_upload(
                Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
            )
            aborted += 1
print(
    f"run: aborted {aborted} multipart uploads older than {stale_seconds} s"
    f" in {bucket}",
    file=sys.stderr,
)
EOF

users=$("$bin/csvdrop" user list 2>/dev/null || true)
if [ -z "$users" ]; then
  echo "run: creating the first user; its password is shown this once:" >&2
  "$bin/csvdrop" user add admin --generate </dev/null
else
  first=$(head -n 1 <<<"$users" | awk '{print $1}')
  echo "run: user $first exists; to reset its password: .venv/bin/csvdrop user passwd $first" >&2
fi

"$bin/gunicorn" -c python:csvdrop.gunicorn_conf >>"$state/csvdrop.log" 2>&1 &
pids+=($!)

for _ in $(seq 100); do
  if "$bin/python" -c "import urllib.request as u; u.urlopen('http://$app_address/healthz', timeout=1)" 2>/dev/null; then
    break
  fi
  kill -0 "${pids[-1]}" 2>/dev/null || { echo "run: gunicorn failed; see $state/csvdrop.log" >&2; exit 1; }
  sleep 0.2
done
echo "run: csvdrop is at http://$app_address/ (app log: $state/csvdrop.log; Ctrl-C stops)"

# Stay until a child dies or a signal arrives; `wait -n` returns on either.
wait -n "${pids[@]}" || true
echo "run: a service stopped (logs under $state); stopping the rest" >&2
