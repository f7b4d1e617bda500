#!/usr/bin/env bash
# Create the virtual environment for bench/python/compare.py and install
# requirements.txt into it. Set BENCH_VENV to put the environment elsewhere.
# A second run with everything installed skips pip.
set -euo pipefail

script_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd -- "${script_dir}/../.." && pwd)"
venv="${BENCH_VENV:-${repo_root}/bench/python/.venv}"
requirements="${script_dir}/requirements.txt"

if ! command -v python3 >/dev/null 2>&1; then
    echo "error: python3 not found; install Python 3.9 or newer" >&2
    exit 1
fi

# Debian splits venv and ensurepip out of python3 into python3-venv.
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "python3 has no venv module; installing python3-venv with apt-get" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    else
        echo "error: python3 has no venv module; install it (Debian and Ubuntu: sudo apt-get install python3-venv) and rerun" >&2
        exit 1
    fi
fi

if [[ ! -x "${venv}/bin/python" ]]; then
    echo "creating virtual environment ${venv}" >&2
    python3 -m venv "${venv}"
fi

# The stamp contains a copy of the requirements that were installed, so an
# unchanged requirements.txt skips pip, which takes seconds even with
# nothing to do.
stamp="${venv}/.requirements.installed"
if [[ -f "${stamp}" ]] && cmp -s "${stamp}" "${requirements}"; then
    echo "requirements already installed in ${venv}" >&2
    exit 0
fi

"${venv}/bin/python" -m pip install --quiet --disable-pip-version-check -r "${requirements}"
cp "${requirements}" "${stamp}"
echo "installed requirements into ${venv}" >&2
