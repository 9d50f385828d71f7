// sealfs: the command-line tool of SealFS. See docs/cli.md, or `sealfs --help`.
//
//   sealfs [--manager HOST:PORT] COMMAND [OPTIONS] [ARGS...]
//
// COMMAND is status, ls, stat, cat, put, get, rm, mkdir, mv, or cluster start|stop|status|address.
// Exit status as coreutils: 0 success, 1 when an operand failed (the others were done) or the
// cluster could not be reached, 2 for a usage error or when no cluster address is given.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <functional>
#include <sealfs/sealfs.hpp>
#include <string>
#include <utility>
#include <vector>

#include "copy_commands.h"
#include "list_commands.h"
#include "local_cluster.h"
#include "namespace_commands.h"
#include "session.h"
#include "status_command.h"

namespace sealfs::cli {
namespace {

constexpr const char* kFooter = R"(
The cluster is found by --manager HOST:PORT (before or after the command), else by the
SEALFS_MANAGER environment variable, else by SEALFS_MANAGER in ./cluster/cluster.env (the local
cluster that 'sealfs cluster start' runs in ./cluster). Cluster paths are absolute ("/a/b"); a
relative one is taken from the root.

Exit status: 0 on success; 1 when an operand failed (the others were still done) or the cluster
could not be reached; 2 for a usage error or when no cluster address is given.)";

// What each command runs once the command line is parsed.
using Command = std::pair<CLI::App*, std::function<int(Session&)>>;

std::string FailureMessage(const CLI::App* /*app*/, const CLI::Error& e) {
  return fmt::format("sealfs: {}\nTry 'sealfs --help' for more information.\n", e.what());
}

void AddPaths(CLI::App* command, std::vector<std::string>* paths, const char* description,
              bool required) {
  auto* option = command->add_option("paths", *paths, description);
  if (required) option->required();
}

// put and get take the same options, in opposite directions.
CLI::App* AddCopyCommand(CLI::App& app, const char* name, const char* description,
                         const char* operands, CopyOptions* options) {
  auto* command =
      app.add_subcommand(name, fmt::format("{}: {} [-r] {}", description, name, operands));
  command->add_flag("-r,-R,--recursive", options->recursive, "Copy directories and their content");
  command->add_flag("!--no-progress", options->progress, "No progress bar, even on a terminal");
  AddPaths(command, &options->paths, operands, true);
  return command;
}

int Run(int argc, char** argv) {
  CLI::App app{"sealfs: the SealFS command-line tool", "sealfs"};
  app.require_subcommand(1);
  app.fallthrough();
  app.failure_message(FailureMessage);
  app.footer(kFooter);
  app.set_version_flag("--version", "sealfs " + sealfs::version());
  std::string manager;
  app.add_option("--manager", manager, "HOST:PORT of the cluster's sealfs-manager");
  std::vector<Command> commands;

  StatusOptions status_options;
  auto* status_command = app.add_subcommand(
      "status", "The cluster map: epoch, and each server's id, address, state and capacity");
  status_command->add_flag("--json", status_options.json, "One JSON object");
  commands.emplace_back(status_command, [&](Session& s) { return RunStatus(s, status_options); });

  ListOptions list;
  auto* list_command = app.add_subcommand("ls", "List directories, name files (as ls -1 / ls -ln)");
  list_command->add_flag("-l", list.long_format, "Mode, links, uid, gid, size, mtime, name");
  list_command->add_flag("-a,--all", list.all, "Names starting with '.', and '.' and '..'");
  list_command->add_flag("-A,--almost-all", list.almost_all, "Names starting with '.'");
  list_command->add_flag("-d,--directory", list.directory, "Directories themselves");
  list_command->add_flag("--json", list.json, "One JSON array of entries with all attributes");
  AddPaths(list_command, &list.paths, "Cluster paths (default /)", false);
  commands.emplace_back(list_command, [&](Session& s) { return RunList(s, list); });

  StatOptions stat;
  auto* stat_command = app.add_subcommand("stat", "Describe paths (as stat)");
  stat_command->add_flag("-L,--dereference", stat.dereference, "Follow a final symlink");
  stat_command->add_flag("--json", stat.json, "One JSON array, an object per path");
  AddPaths(stat_command, &stat.paths, "Cluster paths", true);
  commands.emplace_back(stat_command, [&](Session& s) { return RunStat(s, stat); });

  CatOptions cat;
  auto* cat_command = app.add_subcommand("cat", "Write files to standard output (as cat)");
  AddPaths(cat_command, &cat.paths, "Cluster paths", true);
  commands.emplace_back(cat_command, [&](Session& s) { return RunCat(s, cat); });

  CopyOptions put;
  auto* put_command =
      AddCopyCommand(app, "put", "Copy local files into the cluster ('-' is standard input)",
                     "LOCAL... REMOTE", &put);
  commands.emplace_back(put_command, [&](Session& s) { return RunPut(s, put); });

  CopyOptions get;
  auto* get_command =
      AddCopyCommand(app, "get", "Copy cluster files to local paths ('-' is standard output)",
                     "REMOTE... LOCAL", &get);
  commands.emplace_back(get_command, [&](Session& s) { return RunGet(s, get); });

  RemoveOptions remove;
  auto* remove_command = app.add_subcommand("rm", "Remove files and directories (as rm)");
  remove_command->add_flag("-r,-R,--recursive", remove.recursive, "Directories and their content");
  remove_command->add_flag("-f,--force", remove.force, "No failure for missing paths");
  remove_command->add_flag("-d,--dir", remove.empty_directory, "Empty directories too");
  AddPaths(remove_command, &remove.paths, "Cluster paths", true);
  commands.emplace_back(remove_command, [&](Session& s) { return RunRemove(s, remove); });

  MakeDirectoryOptions make_directory;
  std::string mode;
  auto* mkdir_command = app.add_subcommand("mkdir", "Create directories (as mkdir)");
  mkdir_command->add_flag("-p,--parents", make_directory.parents,
                          "Make missing parents; no failure if it exists");
  mkdir_command->add_option("-m,--mode", mode, "Permission bits in octal (umask not applied)")
      ->check([](const std::string& text) {
        return ParseOctalMode(text) ? std::string() : "invalid mode " + Quote(text);
      });
  AddPaths(mkdir_command, &make_directory.paths, "Cluster paths", true);
  commands.emplace_back(mkdir_command, [&](Session& s) {
    if (!mode.empty()) make_directory.mode = ParseOctalMode(mode);
    return RunMakeDirectory(s, make_directory);
  });

  MoveOptions move;
  auto* move_command = app.add_subcommand("mv", "Rename or move: mv SOURCE... DEST (as mv)");
  AddPaths(move_command, &move.paths, "SOURCE... DEST", true);
  commands.emplace_back(move_command, [&](Session& s) { return RunMove(s, move); });

  auto* cluster_command = app.add_subcommand(
      "cluster", "The local cluster on 127.0.0.1 (the layout of scripts/sealfs-cluster)");
  cluster_command->require_subcommand(1);
  std::string cluster_dir = "./cluster";
  const auto add_dir = [&](CLI::App* command) {
    command->add_option("--dir", cluster_dir, "The cluster's directory")->capture_default_str();
  };
  ClusterStartOptions start;
  auto* start_command = cluster_command->add_subcommand(
      "start",
      "Start a manager and N servers, detached, and return once all are UP (the binaries come "
      "from $SEALFS_BIN, else from beside this program)");
  add_dir(start_command);
  start_command
      ->add_option("--servers", start.servers,
                   "Number of servers (default: as many as DIR holds, else 3)")
      ->check(CLI::Range(1, 1000));
  start_command->add_option("--timeout", start.timeout_seconds, "Seconds to wait for the start")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  start_command->add_flag("--force", start.force,
                          "Start another number of servers than DIR holds data of");
  start_command
      ->add_option("--heartbeat-timeout-ms", start.heartbeat_timeout_ms,
                   "The manager marks a silent server DOWN after this long "
                   "(default: the manager's, 5000)")
      ->check(CLI::Range(30, 86400000));
  commands.emplace_back(start_command, [&](Session&) {
    start.dir = cluster_dir;
    return StartLocalCluster(start);
  });
  int stop_timeout = 15;
  auto* stop_command = cluster_command->add_subcommand(
      "stop", "SIGTERM the recorded processes, SIGKILL after --timeout; the data stays");
  add_dir(stop_command);
  stop_command->add_option("--timeout", stop_timeout, "Seconds before SIGKILL")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  commands.emplace_back(stop_command,
                        [&](Session&) { return StopLocalCluster(cluster_dir, stop_timeout); });
  auto* cluster_status_command = cluster_command->add_subcommand(
      "status", "Which recorded processes run (exit 0 all, 1 some, 3 none)");
  add_dir(cluster_status_command);
  commands.emplace_back(cluster_status_command,
                        [&](Session&) { return LocalClusterStatus(cluster_dir); });
  auto* address_command =
      cluster_command->add_subcommand("address", "Print the manager's HOST:PORT");
  add_dir(address_command);
  commands.emplace_back(address_command,
                        [&](Session&) { return PrintLocalClusterAddress(cluster_dir); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11's own codes are not coreutils': --help is 0, every other parse error is 2.
    return app.exit(e) == 0 ? kExitSuccess : kExitUsage;
  }

  Session session(manager);
  int status = kExitSuccess;
  try {
    for (const auto& [command, run] : commands) {
      if (command->parsed()) status = run(session);
    }
  } catch (const FatalError& e) {
    PrintError(e.what());
    status = e.status();
  }
  if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
    PrintError("write error", errno);
    return kExitFailure;
  }
  return status;
}

}  // namespace
}  // namespace sealfs::cli

int main(int argc, char** argv) {
  try {
    return sealfs::cli::Run(argc, argv);
  } catch (const std::exception& e) {
    sealfs::cli::PrintError(e.what());
    return sealfs::cli::kExitFailure;
  }
}
