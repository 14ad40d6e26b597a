// Images on the FreeBSD platform, end to end on the fakes: `pot export` writes the pot's
// `zfs send -R` stream as a signed image of ours, `pot import` receives it; the original
// pot's images (NAME_TAG.xz, .meta, .skein, .sig) made here as its export.sh makes them
// import as NAME_TAG with dots made underscores; `pot prepare` works from both; damaged
// images are refused and leave no dataset.
//
// The recorded calls are compared with the original's (share/pot/export.sh, import.sh):
//   export  `zfs snapshot -r P/jails/NAME@S` (snapshot.sh), `zfs send -R P/jails/NAME@S`
//   import  `zfs receive -x encryption P/jails/NAME_TAG`, ours under a hidden name first and
//           renamed into place (`zfs rename`), so that a failed or killed import leaves none.
#include <fcntl.h>
#include <sodium.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "core/unique_fd.h"
#include "freebsd/command_stream.h"
#include "freebsd/jail_params.h"
#include "freebsd_host.h"
#include "image/archive_writer.h"
#include "image/digest.h"
#include "image/manifest.h"
#include "image/original_image.h"
#include "image/signing.h"
#include "image/skein1024.h"
#include "image/zstd_stream.h"

namespace pot::testing {
namespace {

// `zfs receive` as both kinds of import run it, but for the dataset: import.sh's
// `-x encryption`, and beyond it (deliberate: the stream is untrusted) unmounted and without
// the sender's mount and privilege properties, mounted only once checked.
std::vector<std::string> received_untrusted() {
  return {"zfs",      "receive", "-u",     "-x", "encryption", "-x", "mountpoint", "-x",
          "canmount", "-x",      "setuid", "-x", "devices",    "-x", "exec"};
}

constexpr const char* kJails = "zroot/pot/jails/";

std::string to_base64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  ::sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                      bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();  // the terminating NUL
  return out;
}

// A signify key pair (what `signify -G` makes), for the original's optional .skein.sig.
struct SignifyKey {
  std::string number = std::string(8, '\x5a');
  std::string public_key = std::string(crypto_sign_PUBLICKEYBYTES, '\0');
  std::string secret_key = std::string(crypto_sign_SECRETKEYBYTES, '\0');

  SignifyKey() {
    EXPECT_GE(::sodium_init(), 0);
    ::crypto_sign_keypair(reinterpret_cast<unsigned char*>(public_key.data()),
                          reinterpret_cast<unsigned char*>(secret_key.data()));
  }
  void write_public(const fs::path& path) const {
    write_text(path, "untrusted comment: signify public key\n" +
                         to_base64("Ed" + number + public_key) + "\n");
  }
  void write_signature(const fs::path& path, std::string_view message) const {
    std::string signature(crypto_sign_BYTES, '\0');
    ::crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                           reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                           reinterpret_cast<const unsigned char*>(secret_key.data()));
    write_text(path, "untrusted comment: verify with signify.pub\n" +
                         to_base64("Ed" + number + signature) + "\n");
  }
};

// Sets an environment variable for a scope, then puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class FreeBsdImage : public ::testing::Test {
 protected:
  // A single pot `web` with a command and a file of its own in its root, on a fresh host.
  void SetUp() override {
    bsd_.init_with_base();
    FreeBsdHost::expect_ok(bsd_.pot({"create", "-p", "web", "-b", "14.1", "-t", "single"}),
                           "pot create");
    FreeBsdHost::expect_ok(bsd_.pot({"set-cmd", "-p", "web", "-c", "sleep 300"}), "pot set-cmd");
    write_text(root_of("web") / "root" / "hello", "from web\n");
    bsd_.clear_calls();
  }

  fs::path root_of(const std::string& pot) const { return bsd_.fs_root() / "jails" / pot / "m"; }
  std::string url() const { return "file://" + images_.str(); }

  // `zfs` calls whose first words are `words`.
  std::vector<FakeFreeBSD::Call> zfs_calls(const std::vector<std::string>& words) const {
    std::vector<FakeFreeBSD::Call> found;
    for (const auto& call : bsd_.calls_of("zfs")) {
      if (call.size() > words.size() && std::equal(words.begin(), words.end(), call.begin() + 1))
        found.push_back(call);
    }
    return found;
  }

  // Datasets of pots other than those named: what a failed import must not leave.
  std::vector<std::string> other_pot_datasets(const std::vector<std::string>& pots) const {
    std::vector<std::string> found;
    nlohmann::json state = bsd_.state();
    for (const auto& [name, dataset] : state["zfs"]["datasets"].items()) {
      if (name.rfind(kJails, 0) != 0) continue;
      std::string pot = name.substr(std::string(kJails).size());
      pot = pot.substr(0, pot.find('/'));
      if (std::find(pots.begin(), pots.end(), pot) == pots.end()) found.push_back(name);
    }
    return found;
  }

  // Starts `pot`, checks its jail runs and sees the exported root, stops it.
  void expect_starts(const std::string& pot) {
    PotRun start = bsd_.pot({"start", "-p", pot});
    ASSERT_TRUE(start.ok()) << start.err;
    EXPECT_TRUE(bsd_.has_jail(freebsd::jail_name_for_pot(pot)));
    PotRun exec = bsd_.pot({"exec", "-p", pot, "/bin/cat", "root/hello"});
    EXPECT_EQ(exec.out, "from web\n") << exec.err;
    ASSERT_TRUE(bsd_.pot({"stop", "-p", pot}).ok());
  }

  // The original's image of `web` at 1.0, made as its export.sh makes it: `zfs send -R
  // P/jails/web@S | xz`, the meta line `-`, skein1024 of both; signed with `key` when given.
  void make_original_image(const SignifyKey* key = nullptr) {
    bsd_.clear_calls();
    FreeBsdHost::expect_ok(bsd_.pot({"snapshot", "-p", "web"}), "pot snapshot");
    auto snapshots = zfs_calls({"snapshot", "-r"});
    ASSERT_EQ(snapshots.size(), 1u);
    image::OriginalImageFiles files = image::original_image_files(images_.path(), "web", "1.0");
    fs::path stream = images_.path() / "stream";
    {
      UniqueFd out(::open(stream.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
      ASSERT_EQ(
          freebsd::run_streaming({"zfs", "send", "-R", snapshots[0][3]}, -1, out.get()).exit_code,
          0);
    }
    ASSERT_EQ(run_program({"xz", "-6", "-T", "0", stream.string()}), 0);
    fs::rename(stream.string() + ".xz", files.xz);
    write_text(files.meta, "-\n");
    write_text(files.skein, image::original_skein_text(files.xz, files.meta));
    if (key != nullptr) key->write_signature(files.skein.string() + ".sig", read_text(files.skein));
    bsd_.clear_calls();
  }

  FreeBsdHost bsd_;
  TempDir images_{"fakebsd-images"};
  TempDir keys_{"fakebsd-keys"};
};

TEST_F(FreeBsdImage, ExportWritesTheSignedZfsStreamAndImportReceivesIt) {
  fs::path key = keys_.path() / "key";
  FreeBsdHost::expect_ok(bsd_.pot({"keygen", "-k", key.string()}), "pot keygen");
  PotRun exported =
      bsd_.pot({"export", "-p", "web", "-t", "1.0", "-D", images_.str(), "-S", key.string()});
  ASSERT_TRUE(exported.ok()) << exported.err;

  // As the original: a snapshot of the whole pot, then its replication stream.
  auto snapshots = zfs_calls({"snapshot", "-r"});
  ASSERT_EQ(snapshots.size(), 1u);
  std::string snapshot = snapshots[0][3];
  EXPECT_EQ(snapshot.rfind(std::string(kJails) + "web@", 0), 0u) << snapshot;
  EXPECT_EQ(zfs_calls({"send"}), (std::vector<FakeFreeBSD::Call>{{"zfs", "send", "-R", snapshot}}));

  auto manifest = nlohmann::json::parse(read_text(images_.path() / "web_1.0.manifest.json"));
  EXPECT_EQ(manifest["payload"], "zfs-send");
  std::string digests = read_text(images_.path() / "web_1.0.sha256");
  EXPECT_NO_THROW(image::verify_message(key.string() + ".pub", digests,
                                        read_text(images_.path() / "web_1.0.sha256.sig")));
  // The payload is the stream itself (the fake's stream starts with its magic line).
  fs::path stream = images_.path() / "stream";
  {
    UniqueFd out(::open(stream.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    image::decompress_zstd_to_fd(images_.path() / "web_1.0.tar.zst", out.get(), UINT64_MAX);
  }
  EXPECT_EQ(read_text(stream).rfind("FAKEBSD-ZFS-STREAM", 0), 0u);
  EXPECT_EQ(manifest["archive"]["unpacked_size"], fs::file_size(stream));

  bsd_.clear_calls();
  PotRun imported =
      bsd_.pot({"import", "-p", "web", "-t", "1.0", "-U", url(), "-C", key.string() + ".pub"});
  ASSERT_TRUE(imported.ok()) << imported.err;
  auto receives = zfs_calls({"receive"});
  ASSERT_EQ(receives.size(), 1u);
  EXPECT_EQ(std::vector<std::string>(receives[0].begin(), receives[0].end() - 1),
            received_untrusted());
  EXPECT_TRUE(bsd_.has_dataset(std::string(kJails) + "web_1.0/m"));
  EXPECT_EQ(read_text(root_of("web_1.0") / "root" / "hello"), "from web\n");
  // The conf is this host's, with what travels: the exporting pot's command.
  std::string conf = read_text(bsd_.fs_root() / "jails" / "web_1.0" / "conf" / "pot.conf");
  EXPECT_TRUE(HasText(conf, "pot.cmd=sleep 300")) << conf;
  EXPECT_TRUE(HasText(conf, "network_type=none")) << conf;
  expect_starts("web_1.0");
}

TEST_F(FreeBsdImage, ADamagedImageIsRefusedAndLeavesNoDataset) {
  ASSERT_TRUE(bsd_.pot({"export", "-p", "web", "-t", "1.0", "-D", images_.str()}).ok());
  fs::path archive = images_.path() / "web_1.0.tar.zst";
  std::string bytes = read_text(archive);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x40);
  write_text(archive, bytes);
  bsd_.clear_calls();

  PotRun tampered = bsd_.pot({"import", "-p", "web", "-t", "1.0", "-U", url()});
  EXPECT_FALSE(tampered.ok());
  EXPECT_TRUE(HasText(tampered.err, "SHA-256 mismatch")) << tampered.err;
  EXPECT_TRUE(zfs_calls({"receive"}).empty());
  EXPECT_TRUE(other_pot_datasets({"web"}).empty());

  // An unsigned image rewritten with a matching digest: the stream reaches `zfs receive`,
  // which refuses it, and the hidden datasets go.
  auto digests = image::parse_digest_list(read_text(images_.path() / "web_1.0.sha256"));
  {
    fs::path garbage = images_.path() / "garbage";
    write_text(garbage, "not a stream\n");
    UniqueFd plain(::open(garbage.c_str(), O_RDONLY | O_CLOEXEC));
    std::string sum = image::compress_fd_to_file(plain.get(), archive, 3).sha256;
    for (auto& entry : digests)
      if (entry.file == "web_1.0.tar.zst") entry.sha256 = sum;
  }
  write_text(images_.path() / "web_1.0.sha256", image::format_digest_list(digests));
  PotRun refused = bsd_.pot({"import", "-p", "web", "-t", "1.0", "-U", url()});
  EXPECT_FALSE(refused.ok());
  EXPECT_TRUE(HasText(refused.err, "zfs receive")) << refused.err;
  EXPECT_EQ(zfs_calls({"receive"}).size(), 1u);
  EXPECT_TRUE(other_pot_datasets({"web"}).empty());
  EXPECT_FALSE(fs::exists(bsd_.fs_root() / "jails" / "web_1.0"));
}

TEST_F(FreeBsdImage, TheOriginalsSignedImageImportsAsNameTagAndStarts) {
  SignifyKey key;
  key.write_public(keys_.path() / "signify.pub");
  make_original_image(&key);

  PotRun imported = bsd_.pot({"import", "-p", "web", "-t", "1.0", "-U", url(), "-C",
                              (keys_.path() / "signify.pub").string()});
  ASSERT_TRUE(imported.ok()) << imported.err;
  EXPECT_EQ(imported.out, "imported web_1_0\n");
  // import.sh: `xzcat NAME_TAG.xz | zfs receive -x encryption P/jails/NAME_TAG`; ours
  // receives under a hidden name and renames it into place.
  auto receives = zfs_calls({"receive"});
  ASSERT_EQ(receives.size(), 1u);
  EXPECT_EQ(std::vector<std::string>(receives[0].begin(), receives[0].end() - 1),
            received_untrusted());
  EXPECT_TRUE(bsd_.has_dataset(std::string(kJails) + "web_1_0/m"));
  EXPECT_FALSE(bsd_.has_dataset(std::string(kJails) + "web_1.0"));
  std::string conf = read_text(bsd_.fs_root() / "jails" / "web_1_0" / "conf" / "pot.conf");
  EXPECT_TRUE(HasText(conf, "pot.cmd=sleep 300")) << conf;
  expect_starts("web_1_0");

  // Signed by another key: refused.
  SignifyKey other;
  other.write_public(keys_.path() / "other.pub");
  ASSERT_TRUE(bsd_.pot({"destroy", "-p", "web_1_0"}).ok());
  PotRun forged = bsd_.pot({"import", "-p", "web", "-t", "1.0", "-U", url(), "-C",
                            (keys_.path() / "other.pub").string()});
  EXPECT_FALSE(forged.ok());
  EXPECT_TRUE(HasText(forged.err, "web_1.0.xz.skein.sig")) << forged.err;
  EXPECT_FALSE(bsd_.has_dataset(std::string(kJails) + "web_1_0"));
}

TEST_F(FreeBsdImage, TheOriginalsImageWithAWrongSkeinIsRefusedNamingTheFile) {
  make_original_image();
  fs::path skein = images_.path() / "web_1.0.xz.skein";
  write_text(skein, image::to_hex(image::skein1024("another image")) + "\n");

  PotRun refused = bsd_.pot({"import", "-p", "web", "-t", "1.0", "-U", url()});
  EXPECT_FALSE(refused.ok());
  EXPECT_TRUE(HasText(refused.err, "web_1.0.xz.skein")) << refused.err;
  EXPECT_TRUE(HasText(refused.err, "Skein-1024")) << refused.err;
  EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused.err;
  EXPECT_TRUE(zfs_calls({"receive"}).empty());
  EXPECT_TRUE(other_pot_datasets({"web"}).empty());
  for (const char* cached : {"web_1.0.xz", "web_1.0.xz.meta", "web_1.0.xz.skein"})
    EXPECT_FALSE(fs::exists(bsd_.fs_root() / "cache" / cached)) << cached;
}

TEST_F(FreeBsdImage, PrepareMakesAStartablePotFromEitherKindOfImage) {
  ASSERT_TRUE(bsd_.pot({"export", "-p", "web", "-t", "2.0", "-D", images_.str()}).ok());
  make_original_image();

  // A prepared pot is not persistent: its start runs the command to its end.
  const std::string command = "/bin/cat root/hello";
  PotRun ours =
      bsd_.pot({"prepare", "-U", url(), "-p", "web", "-t", "2.0", "-a", "a1", "-c", command});
  ASSERT_TRUE(ours.ok()) << ours.err;
  EXPECT_EQ(ours.out, "prepared web_2.0_a1\n");
  PotRun original =
      bsd_.pot({"prepare", "-U", url(), "-p", "web", "-t", "1.0", "-a", "a2", "-c", command});
  ASSERT_TRUE(original.ok()) << original.err;
  EXPECT_EQ(original.out, "prepared web_1_0_a2\n");
  // prepare.sh: the clone is `zfs clone` of the image pot's root.
  EXPECT_EQ(zfs_calls({"clone"}).size(), 2u);

  for (const char* pot : {"web_2.0_a1", "web_1_0_a2"}) {
    EXPECT_TRUE(bsd_.has_dataset(std::string(kJails) + pot + "/m")) << pot;
    std::string conf = read_text(bsd_.fs_root() / "jails" / pot / "conf" / "pot.conf");
    EXPECT_TRUE(HasText(conf, "pot.attr.prunable=YES")) << conf;
    PotRun start = bsd_.pot({"start", "-p", pot});
    EXPECT_TRUE(start.ok()) << pot << ": " << start.err;
    EXPECT_TRUE(HasText(start.out + start.err, "from web")) << start.out << start.err;
    EXPECT_FALSE(bsd_.has_jail(freebsd::jail_name_for_pot(pot)));  // ended with its command
  }
}

// A tar image, as Linux exports it (made here the same way, from a tree), imports on
// FreeBSD into new datasets: images cross platforms where they can.
TEST_F(FreeBsdImage, ATarImageImportsIntoNewDatasets) {
  TempDir tree("tar-image-tree");
  for (const char* dir : {"bin", "etc", "root", "tmp"}) fs::create_directories(tree.path() / dir);
  write_text(tree.path() / "root" / "hello", "from web\n");
  image::ArchiveWriteResult written =
      image::write_tree_archive(tree.path(), images_.path() / "lin_1.0.tar.zst");
  image::Manifest manifest;
  manifest.pot = "lin";
  manifest.tag = "1.0";
  manifest.archive_file = "lin_1.0.tar.zst";
  manifest.archive_size = written.compressed_bytes;
  manifest.unpacked_size = written.unpacked_bytes;
  manifest.entries = written.entries;
  manifest.settings = {{"pot.cmd", "sleep 300"}, {"pot.attr.persistent", "YES"}};
  std::string manifest_text = manifest.to_json();
  write_text(images_.path() / "lin_1.0.manifest.json", manifest_text);
  write_text(
      images_.path() / "lin_1.0.sha256",
      image::format_digest_list({{written.sha256, "lin_1.0.tar.zst"},
                                 {image::sha256_file(images_.path() / "lin_1.0.manifest.json"),
                                  "lin_1.0.manifest.json"}}));

  PotRun imported = bsd_.pot({"import", "-p", "lin", "-t", "1.0", "-U", url()});
  ASSERT_TRUE(imported.ok()) << imported.err;
  EXPECT_TRUE(zfs_calls({"receive"}).empty());
  // create.sh's pair: the pot's dataset, then its root (here under the hidden name).
  auto creates = zfs_calls({"create"});
  ASSERT_EQ(creates.size(), 2u);
  EXPECT_EQ(creates[1][2], creates[0][2] + "/m");
  EXPECT_TRUE(bsd_.has_dataset(std::string(kJails) + "lin_1.0/m"));
  expect_starts("lin_1.0");
}

// The same `pot` on Linux (dir storage, no replication streams): both kinds of ZFS stream
// are refused in one line before the stream is downloaded, and nothing is left.
TEST_F(FreeBsdImage, LinuxRefusesZfsStreamImagesInOneLine) {
  ASSERT_TRUE(bsd_.pot({"export", "-p", "web", "-t", "2.0", "-D", images_.str()}).ok());
  make_original_image();

  TempDir linux_root("linux-root");
  ScopedEnv platform("POT_PLATFORM", "linux");
  ScopedEnv storage("POT_STORAGE", "dir");
  ScopedEnv root("POT_FS_ROOT", linux_root.str());
  FreeBsdHost::expect_ok(bsd_.pot({"init"}), "pot init on Linux");

  PotRun ours = bsd_.pot({"import", "-p", "web", "-t", "2.0", "-U", url()});
  EXPECT_FALSE(ours.ok());
  EXPECT_EQ(ours.err, "pot: image `web_2.0` holds a ZFS stream: it imports on FreeBSD only\n");
  PotRun original = bsd_.pot({"import", "-p", "web", "-t", "1.0", "-U", url()});
  EXPECT_FALSE(original.ok());
  EXPECT_EQ(original.err, "pot: image `web_1.0` at `" + url() +
                              "` is the original pot's, a ZFS stream: it imports on FreeBSD "
                              "only\n");
  EXPECT_TRUE(fs::is_empty(linux_root.path() / "jails"));
  EXPECT_FALSE(fs::exists(linux_root.path() / "cache" / "web_2.0.tar.zst"));
}

}  // namespace
}  // namespace pot::testing
