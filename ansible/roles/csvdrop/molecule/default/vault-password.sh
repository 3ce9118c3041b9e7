#!/bin/sh
# Ansible's vault password for this scenario (ANSIBLE_VAULT_PASSWORD_FILE):
# a random one kept in the scenario's ephemeral directory, made there the
# first time a playbook of the scenario asks for it. Ansible reads the
# password when any playbook starts, create and prepare included, so a file
# that prepare wrote would come too late.
set -eu
password_file=${MOLECULE_EPHEMERAL_DIRECTORY:?}/vault-password
if [ ! -s "$password_file" ]; then
  mkdir -p "$MOLECULE_EPHEMERAL_DIRECTORY"
  umask 077
  head -c 32 /dev/urandom | base64 >"$password_file.new"
  mv "$password_file.new" "$password_file"
fi
cat "$password_file"
