#!/usr/bin/env bash
# coolify_info against the emulator, seeded with files/fleet.json.
set -eux

# shellcheck source=/dev/null
source ../setup_emulator/emulator.sh
emulator_start --fixture "$(pwd)/files/fleet.json" --deploy-seconds 0.5 --status-lag-seconds 0.1

ansible-playbook -i localhost, -c local test.yml "$@"
