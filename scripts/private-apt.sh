# apt-get with state of its own, for fetching a few packages as an ordinary user without touching the system's apt.
# Sourced by setup.sh and .ci/fresh-machine.sh. It reads this machine's apt settings (proxies) but none of its
# sources, pins or package database, and writes only below the folder it is given.

# The first mirror this machine's apt uses whose path matches $2 (e.g. '/debian/?$'), from one-line .list files and
# deb822 .sources files under $1/etc/apt; security and ports mirrors are skipped. Prints nothing when there is none.
apt_mirror() {
  local root=$1 pattern=$2 files=() f
  for f in "$root"/etc/apt/sources.list "$root"/etc/apt/sources.list.d/*.list "$root"/etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] && files+=("$f")
  done
  [ ${#files[@]} -gt 0 ] || return 0
  grep -hE '^[[:space:]]*(URIs:|deb[[:space:]])' "${files[@]}" \
    | sed -E 's/^[[:space:]]*URIs:[[:space:]]*//; s/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//' \
    | tr ' \t' '\n\n' | grep -E '^(https?|file)://' | grep -vE -- '-security|-ports' | grep -E "$pattern" | head -n 1
}

# Prepares folder $1 for apt_private with the single sources line $2 ("deb [signed-by=KEYRING] MIRROR SUITE COMPONENTS").
apt_private_init() {
  local work=$1
  mkdir -p "$work/etc/preferences.d" "$work/etc/sources.list.d" "$work/state/lists/partial" "$work/cache/archives/partial" \
    && : >"$work/state/status" && echo "$2" >"$work/etc/sources.list"
}

# apt-get ARGS... with the state in folder $1 (see apt_private_init). The machine's update hooks (PackageKit,
# AppStream) are switched off and only the package lists of this architecture are fetched.
apt_private() {
  local work=$1
  shift
  apt-get -q -o "Dir::Etc::SourceList=$work/etc/sources.list" -o "Dir::Etc::SourceParts=$work/etc/sources.list.d" \
    -o "Dir::Etc::Preferences=$work/etc/preferences" -o "Dir::Etc::PreferencesParts=$work/etc/preferences.d" \
    -o "Dir::State=$work/state" -o "Dir::State::status=$work/state/status" -o "Dir::Cache=$work/cache" \
    -o "Debug::NoLocking=1" -o "APT::Sandbox::User=$(id -un)" \
    -o "APT::Update::Post-Invoke-Success::=" -o "APT::Update::Post-Invoke::=" \
    -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false" -o "Acquire::Languages=none" -o "APT::Architectures=amd64" \
    "$@"
}
