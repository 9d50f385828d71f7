// Unit tests of the sealfs command's pure parts: JSON, formats, paths, the address lookup.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "address.h"
#include "format.h"
#include "json.h"
#include "namespace_commands.h"
#include "progress.h"
#include "remote.h"
#include "status_command.h"

namespace sealfs::cli {
namespace {

TEST(CliJsonTest, QuotesEscapesAndReplacesInvalidUtf8) {
  EXPECT_EQ(JsonQuote("plain"), "\"plain\"");
  EXPECT_EQ(JsonQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonQuote("\n\t\r\x01\x1f"), "\"\\n\\t\\r\\u0001\\u001f\"");
  EXPECT_EQ(JsonQuote("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  // A lone continuation byte, a cut sequence, an overlong form, a surrogate.
  EXPECT_EQ(JsonQuote("a\x80z"), "\"a\\ufffdz\"");
  EXPECT_EQ(JsonQuote("a\xc3"), "\"a\\ufffd\"");
  EXPECT_EQ(JsonQuote("\xc0\xaf"), "\"\\ufffd\\ufffd\"");
  EXPECT_EQ(JsonQuote("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
}

TEST(CliJsonTest, WriterPlacesCommas) {
  std::string out;
  JsonWriter json(&out);
  json.BeginObject();
  json.Field("a", uint64_t{18446744073709551615U});
  json.Key("b").BeginArray().Number(-1).Bool(true).Null().BeginObject().EndObject().EndArray();
  json.Field("c", "x");
  json.Field("d", false);
  json.NullField("e");
  json.EndObject();
  EXPECT_EQ(out, R"({"a":18446744073709551615,"b":[-1,true,null,{}],"c":"x","d":false,"e":null})");
}

TEST(CliFormatTest, ModeStringAsLs) {
  EXPECT_EQ(ModeString(S_IFDIR | 0755), "drwxr-xr-x");
  EXPECT_EQ(ModeString(S_IFREG | 0644), "-rw-r--r--");
  EXPECT_EQ(ModeString(S_IFLNK | 0777), "lrwxrwxrwx");
  EXPECT_EQ(ModeString(S_IFREG | 04755), "-rwsr-xr-x");
  EXPECT_EQ(ModeString(S_IFREG | 02644), "-rw-r-Sr--");
  EXPECT_EQ(ModeString(S_IFDIR | 01777), "drwxrwxrwt");
  EXPECT_EQ(ModeString(S_IFDIR | 01770), "drwxrwx--T");
}

TEST(CliFormatTest, HumanSizeAsDfH) {
  EXPECT_EQ(HumanSize(0), "0");
  EXPECT_EQ(HumanSize(1023), "1023");
  EXPECT_EQ(HumanSize(1024), "1.0K");
  EXPECT_EQ(HumanSize(1025), "1.1K");  // rounded up, never shown smaller
  EXPECT_EQ(HumanSize(10240), "10K");
  EXPECT_EQ(HumanSize(10239), "10K");
  EXPECT_EQ(HumanSize(1536ULL << 20), "1.5G");
  EXPECT_EQ(HumanSize((1ULL << 20) - 1), "1.0M");
  EXPECT_EQ(HumanSize(100ULL << 30), "100G");
  EXPECT_EQ(HumanSize(18446744073709551615ULL), "16E");
}

TEST(CliFormatTest, TimesInUtcAndForLs) {
  const timespec time{1700000000, 123456789};
  EXPECT_EQ(Rfc3339Time(time), "2023-11-14T22:13:20.123456789Z");
  EXPECT_EQ(Nanoseconds(time), 1700000000123456789);
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(LsTime(time, {1700000100, 0}), "Nov 14 22:13");
  EXPECT_EQ(LsTime(time, {1800000000, 0}), "Nov 14  2023");  // older than six months
  EXPECT_EQ(LsTime({1800000000, 0}, time), "Jan 15  2027");  // in the future
  EXPECT_EQ(StatTime(time), "2023-11-14 22:13:20.123456789 +0000");
}

TEST(CliRemotePathTest, MakesAbsoluteAndTidiesSlashes) {
  EXPECT_EQ(RemotePath("/"), "/");
  EXPECT_EQ(RemotePath(""), "/");
  EXPECT_EQ(RemotePath("a/b"), "/a/b");
  EXPECT_EQ(RemotePath("//a///b//"), "/a/b");
  EXPECT_EQ(JoinPath("/", "x"), "/x");
  EXPECT_EQ(JoinPath("/a", "x"), "/a/x");
  EXPECT_EQ(JoinPath("dir/", "x"), "dir/x");
  EXPECT_EQ(BaseName("/a/b"), "b");
  EXPECT_EQ(BaseName("/a/b//"), "b");
  EXPECT_EQ(BaseName("b"), "b");
  EXPECT_EQ(BaseName("/"), "/");
}

TEST(CliModeTest, ParsesOctalOnly) {
  EXPECT_EQ(ParseOctalMode("755"), 0755U);
  EXPECT_EQ(ParseOctalMode("01777"), 01777U);
  EXPECT_FALSE(ParseOctalMode(""));
  EXPECT_FALSE(ParseOctalMode("8"));
  EXPECT_FALSE(ParseOctalMode("u+x"));
  EXPECT_FALSE(ParseOctalMode("17777"));
}

TEST(CliProgressTest, LineShowsPercentBarAndRate) {
  const std::string line = ProgressLine("/big", 50 << 20, 100 << 20, 1.0, 100);
  EXPECT_NE(line.find("/big ["), std::string::npos) << line;
  EXPECT_NE(line.find(" 50%"), std::string::npos) << line;
  EXPECT_NE(line.find("50MB/s"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 0:01"), std::string::npos) << line;
  EXPECT_LT(line.size(), 100U);
  // Unknown total (standard input): no bar, no percentage.
  const std::string stream = ProgressLine("-", 1024, -1, 1.0, 100);
  EXPECT_EQ(stream.find('%'), std::string::npos) << stream;
  EXPECT_EQ(stream.find('['), std::string::npos) << stream;
  // A narrow terminal cuts the line rather than wrapping it.
  EXPECT_LT(ProgressLine(std::string(200, 'x'), 1, 2, 1.0, 40).size(), 40U);
}

TEST(CliStatusTest, TextAndJsonShowEveryServer) {
  std::vector<sealfs_server_status> servers(2);
  servers[0].id = 0x1234;
  std::snprintf(servers[0].address, sizeof(servers[0].address), "127.0.0.1:4000");
  servers[0].up = 1;
  servers[0].reachable = 1;
  servers[0].total_bytes = 100ULL << 30;
  servers[0].available_bytes = 40ULL << 30;
  servers[0].inodes = 7;
  servers[0].state = SEALFS_SERVER_UP;
  servers[0].synced_epoch = 9;
  servers[1].id = 0xabcdef;
  std::snprintf(servers[1].address, sizeof(servers[1].address), "127.0.0.1:4001");
  servers[1].state = SEALFS_SERVER_DOWN;
  std::string text = StatusText(9, servers);
  EXPECT_NE(text.find("epoch 9: 2 servers, 1 up, 1 down"), std::string::npos) << text;
  EXPECT_NE(text.find("0000000000001234  127.0.0.1:4000  UP      yes         100G    40G  60%"
                      "          7  ok"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("0000000000abcdef  127.0.0.1:4001  DOWN    no"), std::string::npos) << text;
  // A server whose pass is under way shows how far it got.
  servers[0].sync_in_progress = 1;
  servers[0].sync_records_checked = 5000;
  servers[0].sync_records_copied = 12;
  servers[0].sync_bytes_copied = 3ULL << 20;
  text = StatusText(10, servers);
  EXPECT_NE(text.find("copying: 5000 checked, 12 copied (3.0M)"), std::string::npos) << text;
  servers[0].sync_in_progress = 0;
  const std::string json = StatusJson(9, servers);
  EXPECT_NE(
      json.find(
          R"("epoch":9,"servers":[{"id":"0000000000001234","address":"127.0.0.1:4000","state":"UP","up":true,"reachable":true,"total_bytes":107374182400,"available_bytes":42949672960,"inodes":7,"sync":{"in_progress":false,"synced_epoch":9,)"),
      std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("state":"DOWN","up":false,"reachable":false,"total_bytes":null)"),
            std::string::npos)
      << json;
}

TEST(CliAddressTest, FlagThenEnvironmentThenClusterEnv) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("sealfs-cli-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "cluster");
  const auto old_cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir);
  unsetenv("SEALFS_MANAGER");
  EXPECT_FALSE(FindManagerAddress(""));
  {
    std::ofstream env("cluster/cluster.env");
    env << "# comment\nSEALFS_MANAGER=127.0.0.1:1\nSEALFS_CLUSTER_DIR=\"/x y\"\n"
           "SEALFS_MANAGER=127.0.0.1:2\n";
  }
  EXPECT_EQ(ReadEnvValue("cluster/cluster.env", "SEALFS_CLUSTER_DIR"), "/x y");
  EXPECT_FALSE(ReadEnvValue("cluster/cluster.env", "SEALFS"));
  EXPECT_EQ(FindManagerAddress("")->address, "127.0.0.1:2");  // the last one wins
  EXPECT_EQ(FindManagerAddress("")->source, "./cluster/cluster.env");
  setenv("SEALFS_MANAGER", "127.0.0.1:3", 1);
  EXPECT_EQ(FindManagerAddress("")->address, "127.0.0.1:3");
  EXPECT_EQ(FindManagerAddress("127.0.0.1:4")->address, "127.0.0.1:4");
  EXPECT_EQ(FindManagerAddress("127.0.0.1:4")->source, "--manager");
  unsetenv("SEALFS_MANAGER");
  std::filesystem::current_path(old_cwd);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sealfs::cli
