#!/bin/sh
# Builds tracee-sig/tracee:$TRACEE_VERSION: Tracee's own builder stages from a
# checkout at the tag (builder/Dockerfile.alpine-tracee-container), then
# deploy/tracee-image/Dockerfile on top (BuildKit). Needs git and docker.
set -eu
TRACEE_VERSION=${TRACEE_VERSION:-v0.24.1}
IMAGE=${IMAGE:-tracee-sig/tracee:$TRACEE_VERSION}
repo=$(cd "$(dirname "$0")/../.." && pwd)
src=${TRACEE_SRC:-}
if [ -z "$src" ]; then
  src=$(mktemp -d)/tracee
  git clone --depth 1 --branch "$TRACEE_VERSION" https://github.com/aquasecurity/tracee "$src"
fi
for stage in tracee-make tracee-core; do
  DOCKER_BUILDKIT=1 docker build -f "$src/builder/Dockerfile.alpine-tracee-container" \
    --target "$stage" -t "tracee-builder/$stage:$TRACEE_VERSION" "$src"
done
DOCKER_BUILDKIT=1 docker build -f "$repo/deploy/tracee-image/Dockerfile" \
  --build-arg TRACEE_VERSION="$TRACEE_VERSION" -t "$IMAGE" "$repo"
echo "built $IMAGE: /tracee/signatures/builtin.so (without Tracee's TRC-1013) and tracee-sig.so"
