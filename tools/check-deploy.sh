#!/usr/bin/env bash
# Deployment checks (docker/, docker-compose.yml, k8s/), run by .ci/run after the tests:
#   1. builds the base image (tools/base-image.sh) and every target of docker/Dockerfile on it;
#   2. runs the standalone image on this machine's Docker engine, finds the web dashboard at /ui/,
#      completes the README's hello world through its REST API, then stops it (SIGTERM must exit 0);
#   3. renders every Kustomize overlay and validates each object against the schema of its
#      apiVersion and kind (tools/validate-k8s.mjs), and shows that a misspelled field, an unknown
#      kind and the unit tests of that check fail as they should;
#   4. validates docker-compose.yml; PostgreSQL and RabbitMQ published on 127.0.0.1 only, and no
#      credential flag on any command line there or in the manifests.
# Needs Docker, debootstrap, docker-compose, curl and Debian's kubectl (package kubernetes-client;
# unpacked into .cache when another package owns /usr/bin/kubectl), and `npm ci` done.
# Safe to run repeatedly: the base image, the rootfs and the image layers are reused.
# Usage: bash tools/check-deploy.sh      Env: KUBECTL (a kubectl to use), DOCKER_SOCKET
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE_IMAGE="tork/node-base:local"
TARGETS=(api scheduler worker migrator standalone)
DOCKER_SOCKET="${DOCKER_SOCKET:-/var/run/docker.sock}"
SUDO=""
if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi

WORK="$(mktemp -d)"
CONTAINER=""
cleanup() {
  if [[ -n "$CONTAINER" ]]; then docker rm -f "$CONTAINER" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

log() { printf '\n==> %s\n' "$*"; }
fail() {
  echo "check-deploy: $*" >&2
  exit 1
}

# timed NAME COMMAND...: runs a step and says how long it took.
timed() {
  local name="$1" start=$SECONDS
  shift
  log "$name"
  "$@"
  echo "($name: $((SECONDS - start))s)"
}

# wait_for SECONDS WHAT COMMAND...: polls COMMAND once a second until it succeeds.
wait_for() {
  local seconds="$1" what="$2"
  shift 2
  local i
  for ((i = 0; i < seconds; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  fail "$what did not happen within ${seconds}s"
}

free_port() {
  node -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); });"
}

# json_field FIELD...: reads JSON on stdin and prints the field at that path ('' when absent).
json_field() {
  node -e '
    let text = "";
    process.stdin.on("data", (chunk) => (text += chunk)).on("end", () => {
      let value = JSON.parse(text);
      for (const key of process.argv.slice(1)) value = value?.[/^[0-9]+$/.test(key) ? Number(key) : key];
      console.log(value ?? "");
    });' "$@"
}

build_images() {
  bash "$ROOT/tools/base-image.sh"
  local target image user
  for target in "${TARGETS[@]}"; do
    image="tork/$target:local"
    # No bridge network here: `npm ci` reaches the registry through the host's.
    if ! docker build --network host --build-arg "BASE_IMAGE=$BASE_IMAGE" --target "$target" \
      -f "$ROOT/docker/Dockerfile" -t "$image" "$ROOT" >"$WORK/build-$target.log" 2>&1; then
      tail -n 40 "$WORK/build-$target.log" >&2
      fail "docker build --target $target failed"
    fi
    user="$(docker image inspect -f '{{.Config.User}}' "$image")"
    [[ "$user" == node ]] || fail "$image runs as '$user', not as node"
    if [[ "$target" != migrator ]] &&
      [[ -z "$(docker image inspect -f '{{if .Config.Healthcheck}}{{.Config.Healthcheck.Test}}{{end}}' "$image")" ]]; then
      fail "$image has no HEALTHCHECK"
    fi
    printf '%-24s %s MB, user %s\n' "$image" \
      "$(docker image inspect -f '{{.Size}}' "$image" | awk '{ printf "%d", $1 / 1000000 }')" "$user"
  done
}

hello_world() {
  [[ -S "$DOCKER_SOCKET" ]] || fail "no Docker socket at $DOCKER_SOCKET (set DOCKER_SOCKET)"
  bash "$ROOT/tools/test-images.sh" >/dev/null
  local port url id state body result status key auth
  port="$(free_port)"
  url="http://127.0.0.1:$port"
  CONTAINER="tork-check-standalone-$$"
  # The image listens on every interface: without a key it must refuse to start.
  status="$(timeout 60 docker run --rm --name "$CONTAINER-refused" --network host tork/standalone:local \
    -port "$port" -runtime noop >"$WORK/refused.log" 2>&1 && echo 0 || echo $?)"
  docker rm -f "$CONTAINER-refused" >/dev/null 2>&1 || true
  [[ "$status" == 1 ]] || fail "the standalone image with no API key exited $status, not 1"
  grep -q 'TORK_API_KEYS_FILE' "$WORK/refused.log" || fail "the refusal does not name TORK_API_KEYS_FILE"
  echo "without an API key: refused to start (exit 1)"
  key="check-deploy-$(node -e "console.log(require('node:crypto').randomBytes(24).toString('hex'))")"
  auth="Authorization: Bearer $key"
  # As the image's `node` user, with the socket's group: no root needed.
  docker run -d --name "$CONTAINER" --network host \
    -v "$DOCKER_SOCKET:/var/run/docker.sock" --group-add "$(stat -c %g "$DOCKER_SOCKET")" \
    -e "TORK_HEALTH_PORT=$port" -e "TORK_API_KEYS=$key" --health-interval 2s \
    tork/standalone:local -port "$port" >/dev/null
  wait_for 60 "GET $url/health answering 200" curl -fsS "$url/health"
  curl -fsS "$url/health/live" >/dev/null || fail "GET /health/live failed"
  curl -fsS "$url/health/ready" >/dev/null || fail "GET /health/ready failed"
  status="$(curl -sS -o /dev/null -w '%{http_code}' "$url/jobs")"
  [[ "$status" == 401 ]] || fail "GET /jobs without the key answered $status, not 401"
  # The web dashboard's page needs no key (its data calls do).
  status="$(curl -sS -o "$WORK/ui.html" -w '%{http_code}' "$url/ui/")"
  [[ "$status" == 200 ]] && grep -q '<div id="root">' "$WORK/ui.html" ||
    fail "GET /ui/ answered $status without the dashboard's page"
  echo "the dashboard's page is served at /ui/"

  # The README's hello world, as written there.
  cat >"$WORK/hello.yaml" <<'EOF'
name: hello job
tasks:
  - name: say hello
    image: ubuntu:mantic
    run: |
      echo -n hello world
EOF
  id="$(curl -fsS -X POST --data-binary @"$WORK/hello.yaml" -H 'Content-type: text/yaml' -H "$auth" "$url/job" |
    json_field id)"
  [[ -n "$id" ]] || fail "POST /job returned no id"
  echo "submitted job $id"
  state=""
  for ((i = 0; i < 60; i++)); do
    body="$(curl -fsS -H "$auth" "$url/job/$id")"
    state="$(json_field state <<<"$body")"
    case "$state" in
      COMPLETED | FAILED | CANCELLED) break ;;
    esac
    sleep 1
  done
  result="$(json_field execution 0 result <<<"$body")"
  if [[ "$state" != COMPLETED || "$result" != "hello world" ]]; then
    echo "$body" >&2
    docker logs "$CONTAINER" 2>&1 | tail -n 30 >&2
    fail "the job ended $state with result '$result', not COMPLETED with 'hello world'"
  fi
  echo "job $id COMPLETED with result '$result'"

  # The image's own HEALTHCHECK (node asking /health) must see it healthy.
  wait_for 30 "the container's HEALTHCHECK reporting healthy" \
    bash -c "[[ \"\$(docker inspect -f '{{.State.Health.Status}}' $CONTAINER)\" == healthy ]]"
  docker stop --time 40 "$CONTAINER" >/dev/null
  status="$(docker inspect -f '{{.State.ExitCode}}' "$CONTAINER")"
  [[ "$status" == 0 ]] || fail "after SIGTERM the standalone exited $status, not 0"
  echo "healthy, then stopped by SIGTERM with exit code 0"
  docker rm "$CONTAINER" >/dev/null
  CONTAINER=""
}

# Debian's kubectl (1.20, whose kustomize is what the overlays are written for). Where another
# package (Google Cloud's `kubectl`) owns /usr/bin/kubectl, its package is unpacked into .cache.
kubectl_path() {
  if [[ -n "${KUBECTL:-}" ]]; then
    echo "$KUBECTL"
  elif dpkg-query -W -f '${Status}' kubernetes-client 2>/dev/null | grep -q 'ok installed'; then
    command -v kubectl
  else
    local dir="$ROOT/.cache/kubernetes-client"
    if [[ ! -x "$dir/usr/bin/kubectl" ]]; then
      mkdir -p "$WORK/deb" && chmod 755 "$WORK" "$WORK/deb"
      if ! (cd "$WORK/deb" && apt-get download kubernetes-client) >&2 2>/dev/null; then
        $SUDO apt-get update -qq >&2
        (cd "$WORK/deb" && apt-get download kubernetes-client) >&2
      fi
      mkdir -p "$dir"
      dpkg-deb -x "$WORK"/deb/kubernetes-client_*.deb "$dir"
    fi
    echo "$dir/usr/bin/kubectl"
  fi
}

kubernetes_manifests() {
  local kubectl overlay name
  kubectl="$(kubectl_path)"
  "$kubectl" version --client --short 2>/dev/null || "$kubectl" version --client
  mkdir -p "$WORK/k8s"
  for overlay in "$ROOT"/k8s/overlays/*/; do
    name="$(basename "$overlay")"
    "$kubectl" kustomize "$overlay" >"$WORK/k8s/$name.yaml" || fail "kubectl kustomize k8s/overlays/$name failed"
    echo "rendered k8s/overlays/$name: $(grep -c '^kind:' "$WORK/k8s/$name.yaml") objects"
  done
  (cd "$WORK/k8s" && node "$ROOT/tools/validate-k8s.mjs" --require-resources ./*.yaml)
  # Credentials reach tork through its environment (from the Secret), never its command line.
  if grep -nE -- '- -(postgres-dsn|rabbitmq-url)$|[[ ,]-(postgres-dsn|rabbitmq-url)[],]' "$WORK"/k8s/*.yaml; then
    fail "a manifest passes a credential flag on the command line"
  fi
  echo "no manifest passes -postgres-dsn or -rabbitmq-url on a command line"

  # The check itself must fail on what a cluster would reject or ignore.
  node --test --test-reporter=dot "$ROOT/tools/validate-k8s.test.mjs"
  expect_invalid 's/terminationGracePeriodSeconds:/terminationGracePeriodSecond:/' \
    'unknown field "terminationGracePeriodSecond"'
  expect_invalid 's/^kind: PodDisruptionBudget$/kind: PodDisruptionBudgit/' 'unknown apiVersion/kind'
  expect_invalid 's/^apiVersion: keda.sh\/v1alpha1$/apiVersion: keda.sh\/v1alpha9/' 'unknown apiVersion/kind'
  expect_invalid '0,/^ *memory: 1Gi$/{/^ *memory: 1Gi$/d}' 'memory required (--require-resources)'
}

# expect_invalid SED_SCRIPT MESSAGE: the prod overlay, broken by SED_SCRIPT, must fail with MESSAGE.
expect_invalid() {
  local broken="$WORK/broken.yaml"
  sed "$1" "$WORK/k8s/prod.yaml" >"$broken"
  ! cmp -s "$broken" "$WORK/k8s/prod.yaml" || fail "'$1' changed nothing in the prod overlay"
  if node "$ROOT/tools/validate-k8s.mjs" --require-resources "$broken" >"$WORK/broken.out" 2>&1; then
    fail "a manifest broken by '$1' passed validation"
  fi
  grep -qF "$2" "$WORK/broken.out" || {
    cat "$WORK/broken.out" >&2
    fail "a manifest broken by '$1' failed without '$2'"
  }
  echo "broken by '$1': rejected ($(grep -F "$2" "$WORK/broken.out" | head -n 1 | sed 's/^[^)]*): //'))"
}

compose_file() {
  docker-compose --version
  docker-compose -f "$ROOT/docker-compose.yml" config -q
  echo "docker-compose.yml is valid"
  # It keeps the seed's credentials: PostgreSQL and RabbitMQ (and its UI) on loopback only, and no
  # credential on a command line.
  docker-compose -f "$ROOT/docker-compose.yml" config | node --input-type=module -e '
    import { load } from "js-yaml";
    let text = "";
    process.stdin.on("data", (chunk) => (text += chunk)).on("end", () => {
      const { services } = load(text);
      const problems = [];
      for (const name of ["postgres", "rabbitmq"])
        for (const port of services[name].ports ?? []) {
          const host = typeof port === "string" ? port.split(":")[0] : port.host_ip;
          if (host !== "127.0.0.1") problems.push(`${name} publishes ${JSON.stringify(port)} beyond 127.0.0.1`);
        }
      for (const [name, service] of Object.entries(services))
        for (const flag of ["-postgres-dsn", "-rabbitmq-url"])
          if ((service.command ?? []).includes(flag)) problems.push(`${name} passes ${flag} on its command line`);
      if (problems.length > 0) {
        console.error(problems.join("\n"));
        process.exit(1);
      }
      console.log("docker-compose.yml publishes PostgreSQL and RabbitMQ on 127.0.0.1 only; no credential in a command");
    });' || fail "docker-compose.yml exposes infrastructure or credentials"
}

main() {
  local start=$SECONDS
  cd "$ROOT"
  timed "images" build_images
  timed "standalone image: hello world" hello_world
  timed "Kubernetes manifests" kubernetes_manifests
  timed "compose file" compose_file
  log "deployment checks passed in $((SECONDS - start))s"
}

# Sourcing the file defines the steps without running them, so each can be tried on its own.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
