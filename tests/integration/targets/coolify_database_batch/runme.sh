#!/usr/bin/env bash
# coolify_database_batch, coolify_database_backup and coolify_tag against the emulator, seeded with the database
# fixture of the unit tests. No `set -x`: it would echo the token. The -vvvv output of every playbook is checked for
# the token's marker and for coolops-dbsecret, which is in every database password and connection URL (the root
# token may read them, so the emulator does send them).
set -eu
cd "$(dirname "$0")"

MARK=itmk7d2b0c
# shellcheck disable=SC2034 # read by run_playbook in emulator.sh
SECRET_MARKERS="$MARK coolops-dbsecret"
export EMULATOR_TOKEN="1|${MARK}-root-token"
# shellcheck source-path=SCRIPTDIR
source ../setup_emulator/emulator.sh
FIXTURE=$(collection_path tests/e2e/modules/files/databases.yml)
emulator_start --fixture "$FIXTURE" --job-delay-seconds 0.2 --status-lag-seconds 0.1 --backup-seconds 0.3

run_playbook -i localhost, -c local databases.yml "$@"
run_playbook --fail -i localhost, -c local failures.yml "$@"
grep -q 'Cannot select databases: unknown uuids: db-ghost, db-acme.' "$WORK/run.log"
echo "coolify_database_batch: all checks passed"
