#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Unit test of check-layers.py on tiny fake trees: a good tree passes, each
kind of bad include fails."""

import importlib.util
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "check-layers.py")
spec = importlib.util.spec_from_file_location("check_layers", SCRIPT)
check_layers = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_layers)

# A minimal tree that follows the rules: each layer includes the one below,
# with both spellings (from src/ and beside the file).
GOOD = {
    "src/util/io.h": "#pragma once\n#include <string>\n",
    "src/util/io.cpp": '#include "io.h"\n#include "build-config.h"\n',
    "src/protocol/wire.h": '#include "util/io.h"\n',
    "src/server/server.h": '#include "protocol/wire.h"\n#include "../util/io.h"\n',
    "src/server/server-test.cpp": '#include "server.h"\n#include <doctest/doctest.h>\n',
    "src/client/client.h": '#include "protocol/wire.h"\n',
    "src/launcher/run.h": '#include "server/server.h"\n',
    "src/launcher/fileserverd.cpp": '#include "run.h"\nint main() { return 0; }\n',
    "src/cli/commands.h": '#include "client/client.h"\n',
    "src/cli/fileserverctl.cpp": '#include "commands.h"\nint main(int, char **) { return 0; }\n',
    "src/test-main.cpp": '#include "server/server.h"\n#include "client/client.h"\n',
    "bench/bench.cpp": '#include "cli/commands.h"\n#include "launcher/run.h"\n',
    "fuzz/fuzz-request.cpp": '#include "protocol/wire.h"\n',
}


def make_tree(top, files):
    for rel, text in files.items():
        path = os.path.join(top, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


class CheckLayersTest(unittest.TestCase):
    def run_on(self, extra):
        with tempfile.TemporaryDirectory(prefix="fstest-layers-") as top:
            make_tree(top, {**GOOD, **extra})
            problems = check_layers.check(top)
            cli = subprocess.run([sys.executable, SCRIPT, top], capture_output=True, text=True, timeout=60)
        return problems, cli

    def assert_bad(self, extra, needle):
        problems, cli = self.run_on(extra)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn(needle, problems[0])
        self.assertEqual(cli.returncode, 1, cli.stdout)
        self.assertIn(needle, cli.stdout)

    def test_good_tree_passes(self):
        problems, cli = self.run_on({})
        self.assertEqual(problems, [])
        self.assertEqual(cli.returncode, 0, cli.stdout)

    def test_util_including_server_fails(self):
        self.assert_bad({"src/util/bad.cpp": '#include "server/server.h"\n'},
                        'src/util/bad.cpp:1: #include "server/server.h": util may not include server')

    def test_relative_include_up_fails(self):
        self.assert_bad({"src/protocol/bad.h": '#pragma once\n#include "../client/client.h"\n'},
                        "src/protocol/bad.h:2")

    def test_server_and_client_are_separate(self):
        self.assert_bad({"src/server/bad.cpp": '#include "client/client.h"\n'}, "server may not include client")
        self.assert_bad({"src/client/bad.cpp": '#include "server/server.h"\n'}, "client may not include server")

    def test_launcher_and_cli_are_separate(self):
        self.assert_bad({"src/cli/bad.cpp": '#include "launcher/run.h"\n'}, "cli may not include launcher")
        self.assert_bad({"src/launcher/bad.cpp": '  #  include "cli/commands.h"\n'},
                        "launcher may not include cli")

    def test_main_files_are_not_included(self):
        self.assert_bad({"bench/bad.cpp": '#include "launcher/fileserverd.cpp"\n'}, "defines main()")
        self.assert_bad({"fuzz/bad.cpp": '#include "cli/fileserverctl.cpp"\n'}, "defines main()")


if __name__ == "__main__":
    unittest.main(verbosity=2)
