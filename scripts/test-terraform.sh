#!/usr/bin/env bash
# Check the Terraform code offline: formatting, terraform test on the modules
# that need no provider, checkov, the tfparse structure tests and the README
# tables. No provider can be downloaded here, so validate and plan are not run.
set -euo pipefail
cd "$(dirname "$0")/.."

# Ignore any user CLI configuration (mirrors, credentials helpers).
export TF_CLI_CONFIG_FILE=/dev/null
export TF_IN_AUTOMATION=1
export CHECKPOINT_DISABLE=1

tools=.tools/terraform
requirements=tests/infra/terraform/requirements.txt

if ! command -v terraform >/dev/null; then
  echo "terraform 1.11 or newer must be on PATH (it is not packaged by Debian)" >&2
  exit 1
fi

# The stamp is rebuilt when the pinned tool list changes.
if [ ! -f "$tools/.installed" ] || [ "$requirements" -nt "$tools/.installed" ]; then
  echo "--- installing checkov, tfparse and pytest into $tools"
  test -x "$tools/bin/python" || python3 -m venv "$tools"
  "$tools/bin/python" -m pip install --quiet --upgrade pip
  "$tools/bin/python" -m pip install --quiet -r "$requirements"
  touch "$tools/.installed"
fi

echo "--- terraform fmt"
terraform fmt -check -recursive -diff terraform

for module in naming address_plan inputs; do
  echo "--- terraform test: modules/$module"
  terraform -chdir="terraform/modules/$module" init -backend=false -input=false >/dev/null
  terraform -chdir="terraform/modules/$module" test -no-color
done

# The example variable files must pass the environments' input rules.
for env in production staging; do
  echo "--- example settings of envs/$env"
  if ! out=$(terraform -chdir=terraform/modules/inputs plan -no-color -input=false \
    -lock=false -var-file="../../envs/$env/terraform.tfvars.example" 2>&1); then
    echo "$out" >&2
    exit 1
  fi
done

echo "--- checkov"
"$tools/bin/checkov" --directory terraform --framework terraform \
  --skip-download --compact --quiet

echo "--- structure tests"
"$tools/bin/pytest" -p no:cacheprovider --confcutdir=tests/infra/terraform \
  tests/infra/terraform

echo "--- README tables"
"$tools/bin/python" terraform/tools/readme_tables.py --check
