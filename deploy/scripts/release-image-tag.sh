#!/usr/bin/env bash
# Which image tag a deploy uses, for deploy.yml: prints `image_tag=<tag>` and `build=<true|false>` lines
# for $GITHUB_OUTPUT.
#
#   deploy/scripts/release-image-tag.sh STAGE [RELEASE]
#
# With RELEASE (a version tag vX.Y.Z that exists in the repository) the images are the release's:
# release.yml tagged every app's image with the tag's commit SHA, so that SHA is the image tag and
# nothing is built. Production requires a RELEASE: it never runs an untagged build. Without one
# (staging), the images are built from the checked-out commit and tagged with its SHA.
set -euo pipefail

STAGE="${1:-}"
RELEASE="${2:-}"
[[ -n "$STAGE" ]] || { sed -n '5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

if [[ -z "$RELEASE" ]]; then
  if [[ "$STAGE" == "production" ]]; then
    echo "production deploys a release only: run the deploy with release: vX.Y.Z (a tag release.yml built)" >&2
    exit 1
  fi
  echo "image_tag=$(git rev-parse HEAD)"
  echo "build=true"
  exit 0
fi

if ! [[ "$RELEASE" =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "release \"$RELEASE\" is not a version tag (vX.Y.Z)" >&2
  exit 1
fi
if ! sha="$(git rev-parse -q --verify "refs/tags/$RELEASE^{commit}")"; then
  echo "release $RELEASE is not a tag of this repository: tag a release first (see README, Releases)" >&2
  exit 1
fi
echo "image_tag=$sha"
echo "build=false"
