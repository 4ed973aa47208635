// The sandbox seen from a whole run: the agentco binary against the fake server, which
// scripts a one-file Python project whose main.py misbehaves. QA's smoke run must contain
// it and the run must go on to its normal end. Also: a curses program (snake games use
// curses) starts in the smoke run instead of crashing for want of a terminal.
#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "environment/process_runner.hpp"
#include "tests/support/fake_llm_server.hpp"
#include "tests/support/floor_run.hpp"

namespace {

using namespace agentco::testing::floor;

FloorRun run_with_main(const TempDir& dir, const std::string& main_code) {
  agentco::testing::FakeLlmServer server(one_file_script(main_code).dump());
  RunOptions options;
  options.args = {"--llm-base-url", server.base_url(), "--model", "fake-model"};
  return run_agentco(dir, options);
}

bool python_available() { return agentco::program_available("python3"); }

TEST(SandboxRunTest, AProgramCannotWriteOutsideItsFolderNorReachTheNetworkAndTheRunGoesOn) {
  if (!python_available()) GTEST_SKIP() << "python3 is not installed";
  TempDir dir;
  // A listener on the host's loopback that the program tries to reach.
  agentco::testing::FakeLlmServer listener(R"({"rules": [{"reply": "hello"}]})");
  // Two places outside the project: next to it (under /tmp, which the sandbox replaces by
  // a private one, so a write there lands nowhere on the host) and /var/tmp (absent inside).
  const fs::path beside = dir.path() / "escaped.txt";
  const fs::path var_tmp = fs::path("/var/tmp") / ("agentco_escape_" + std::to_string(::getpid()));
  auto try_write = [](const fs::path& p, const std::string& tag) {
    return "    try:\n"
           "        with open(\"" + p.string() + "\", \"w\") as out:\n"
           "            out.write(\"escaped\")\n"
           "        print(\"" + tag + " WROTE\")\n"
           "    except OSError as error:\n"
           "        print(\"" + tag + " NO WRITE: \" + type(error).__name__)\n";
  };
  const std::string code =
      "import socket\n\n\ndef main():\n" + try_write(beside, "BESIDE") + try_write(var_tmp, "VARTMP") +
      "    try:\n"
      "        connection = socket.create_connection((\"127.0.0.1\", " + std::to_string(listener.port()) + "), timeout=2)\n"
      "        print(\"CONNECTED\")\n"
      "        connection.close()\n"
      "    except OSError as error:\n"
      "        print(\"NO NETWORK: \" + type(error).__name__)\n\n\n"
      "if __name__ == \"__main__\":\n    main()\n";
  FloorRun run = run_with_main(dir, code);
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  json program = run.execution("program");
  ASSERT_FALSE(program.is_null()) << run.describe();
  const std::string out = program.value("stdout", "");
  const std::string sandbox = program.value("sandbox", "");
  if (sandbox == "bwrap") {
    EXPECT_NE(out.find("VARTMP NO WRITE"), std::string::npos) << out;
    EXPECT_FALSE(fs::exists(beside)) << "the program wrote outside its folder";
    EXPECT_FALSE(fs::exists(var_tmp)) << "the program wrote outside its folder";
  } else {
    std::cout << "[ note ] sandbox " << sandbox << " does not confine file writes; write check skipped\n";
  }
  std::error_code ec;
  fs::remove(var_tmp, ec);
  if (sandbox == "bwrap" || sandbox == "rlimits+unshare") {
    EXPECT_NE(out.find("NO NETWORK"), std::string::npos) << out;
    EXPECT_EQ(out.find("CONNECTED"), std::string::npos) << out;
  }
  ASSERT_TRUE(run.meta.contains("verdict")) << run.meta.dump(2);
  EXPECT_EQ(run.meta["verdict"].value("program", ""), "exited") << run.meta.dump(2);
}

TEST(SandboxRunTest, AForkBombIsContainedAndTheRunGoesOn) {
  if (!python_available()) GTEST_SKIP() << "python3 is not installed";
  TempDir dir;
  const std::string code =
      "import os\n\n\ndef main():\n    while True:\n        try:\n            os.fork()\n"
      "        except OSError:\n            pass\n\n\nif __name__ == \"__main__\":\n    main()\n";
  FloorRun run = run_with_main(dir, code);
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  json program = run.execution("program");
  ASSERT_FALSE(program.is_null()) << run.describe();
  // Stopped early (the process tree limit) or at the deadline, never left running.
  EXPECT_LT(program.value("seconds", 99.0), 30.0) << program.dump(2);
  EXPECT_TRUE(program.value("exit_code", 0) != 0 || program.value("signal", 0) != 0 || program.value("timed_out", false))
      << program.dump(2);
  ASSERT_TRUE(run.meta.contains("verdict")) << run.meta.dump(2);
  EXPECT_FALSE(run.meta["verdict"].is_null());
}

TEST(SandboxRunTest, AProgramPrintingWithoutEndIsCappedAndStoppedAndTheRunGoesOn) {
  if (!python_available()) GTEST_SKIP() << "python3 is not installed";
  TempDir dir;
  const std::string code =
      "def main():\n    while True:\n        print(\"spam \" * 40)\n\n\nif __name__ == \"__main__\":\n    main()\n";
  FloorRun run = run_with_main(dir, code);
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  json program = run.execution("program");
  ASSERT_FALSE(program.is_null()) << run.describe();
  EXPECT_TRUE(program.value("timed_out", false)) << program.dump(2).substr(0, 2000);
  EXPECT_LE(program.value("stdout", "").size(), 64u * 1024u);
  EXPECT_NE(read_all(run.folder / "test_outputs" / "program.txt").find("output truncated"), std::string::npos);
  ASSERT_TRUE(run.meta.contains("verdict")) << run.meta.dump(2);
  EXPECT_EQ(run.meta["verdict"].value("program", ""), "started") << run.meta.dump(2);
}

TEST(SandboxRunTest, ACursesProgramStartsInTheSmokeRunInsteadOfCrashingForWantOfATerminal) {
  if (!python_available()) GTEST_SKIP() << "python3 is not installed";
  agentco::ProcessSpec probe;
  probe.argv = {"python3", "-c", "import curses"};
  probe.sandbox = false;
  if (agentco::run_process(probe).exit_code != 0) GTEST_SKIP() << "this python3 has no curses module";
  TempDir dir;
  const std::string code =
      "import curses\n\n\ndef play(screen):\n    screen.addstr(0, 0, \"snake\")\n    screen.refresh()\n"
      "    screen.getch()\n\n\nif __name__ == \"__main__\":\n    curses.wrapper(play)\n";
  FloorRun run = run_with_main(dir, code);
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  json program = run.execution("program");
  ASSERT_FALSE(program.is_null()) << run.describe();
  EXPECT_TRUE(program.value("timed_out", false)) << program.dump(2);
  EXPECT_EQ(program.value("stderr", ""), "") << program.dump(2);
  ASSERT_TRUE(run.meta.contains("verdict")) << run.meta.dump(2);
  EXPECT_EQ(run.meta["verdict"].value("program", ""), "started") << run.meta.dump(2);
}

}  // namespace
