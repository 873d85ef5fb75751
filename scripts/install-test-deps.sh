#!/usr/bin/env bash
# Installs the system packages the test suite uses: Debian's python3-hvac (the Python Vault
# client the compatibility tests drive) with python3-jwt and python3-cryptography (the relying party
# that verifies identity tokens), python3-prometheus-client (the reference parser the
# metrics tests check sys/metrics with), PostgreSQL (storage and database-engine tests) and
# openssl (test certificates), and wrk (the load generator of `npm run bench` and of its test).
# Idempotent; needs root or sudo.
set -euo pipefail
packages=(python3-hvac python3-jwt python3-cryptography python3-prometheus-client postgresql openssl wrk)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-deps: all present (${packages[*]})"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-test-deps: installed ${missing[*]}"
