#!/usr/bin/env bash
# coolify_info against the emulator, seeded with files/fleet.json. No `set -x`: it would echo the token. The
# playbook's -vvvv output is checked for the token's marker.
set -eu
cd "$(dirname "$0")"

MARK=itmk5e7b1d
# shellcheck disable=SC2034 # read by run_playbook in emulator.sh
SECRET_MARKERS=$MARK
export EMULATOR_TOKEN="1|${MARK}-root-token"
# shellcheck source-path=SCRIPTDIR
source ../setup_emulator/emulator.sh
emulator_start --fixture "$PWD/files/fleet.json" --deploy-seconds 0.5 --status-lag-seconds 0.1

run_playbook -i localhost, -c local test.yml "$@"
echo "coolify_info: all checks passed"
