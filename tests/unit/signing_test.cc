// ed25519 key pairs, signatures and their verification (image/signing.h).
#include "image/signing.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "core/error.h"
#include "test_util.h"

namespace pot::image {
namespace {

namespace fs = std::filesystem;
using ::pot::testing::ErrorOf;
using ::pot::testing::ErrorOfWithoutPermissionOverride;
using ::pot::testing::HasText;
using ::pot::testing::list_dir;
using ::pot::testing::lstat_or_die;
using ::pot::testing::read_text;
using ::pot::testing::TempDir;
using ::pot::testing::write_text;

const std::string kMessage =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  web_1.0.tar.zst\n";

mode_t mode_of(const fs::path& path) {
  return lstat_or_die(path).st_mode & 07777;
}

// The three space-separated fields of a key or signature line.
std::vector<std::string> fields(std::string text) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t pos; (pos = text.find(' ', start)) != std::string::npos; start = pos + 1)
    out.push_back(text.substr(start, pos - start));
  out.push_back(text.substr(start));
  return out;
}

std::string pub(const fs::path& secret) {
  return secret.string() + ".pub";
}

TEST(ImageSigning, GeneratesKeyFilesWithTheirModes) {
  TempDir dir;
  mode_t old_umask = ::umask(077);  // the public key is still readable by all
  generate_key_pair(dir / "key");
  ::umask(old_umask);
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"key", "key.pub"}));
  EXPECT_EQ(mode_of(dir / "key"), 0600u);
  EXPECT_EQ(mode_of(dir / "key.pub"), 0644u);

  auto secret = fields(read_text(dir / "key"));
  auto pub_fields = fields(read_text(dir / "key.pub"));
  ASSERT_EQ(secret.size(), 3u);
  ASSERT_EQ(pub_fields.size(), 3u);
  EXPECT_EQ(secret[0], "pot-ed25519-secret");
  EXPECT_EQ(pub_fields[0], "pot-ed25519-public");
  EXPECT_EQ(secret[1], pub_fields[1]);
  EXPECT_EQ(secret[1].size(), 16u);
  EXPECT_EQ(secret[1].find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(secret[2].size(), 88u);      // base64 of 64 bytes
  EXPECT_EQ(pub_fields[2].size(), 44u);  // base64 of 32 bytes

  // Every pair is new.
  generate_key_pair(dir / "other");
  EXPECT_NE(fields(read_text(dir / "other.pub"))[1], secret[1]);
}

TEST(ImageSigning, RefusesToOverwriteAKey) {
  TempDir dir;
  write_text(dir / "key", "precious");
  std::string message = ErrorOf([&] { generate_key_pair(dir / "key"); });
  EXPECT_TRUE(HasText(message, quote_name((dir / "key").string()) + " already exists")) << message;
  EXPECT_EQ(read_text(dir / "key"), "precious");
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"key"}));

  write_text(dir / "k2.pub", "precious");
  message = ErrorOf([&] { generate_key_pair(dir / "k2"); });
  EXPECT_TRUE(HasText(message, quote_name(pub(dir / "k2")) + " already exists")) << message;
  EXPECT_EQ(read_text(dir / "k2.pub"), "precious");
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"k2.pub", "key"}));

  // A dangling symlink counts too: creating through it would write elsewhere.
  fs::create_symlink(dir / "elsewhere", dir / "k3");
  EXPECT_TRUE(HasText(ErrorOf([&] { generate_key_pair(dir / "k3"); }), "already exists"));
  EXPECT_FALSE(fs::exists(dir / "elsewhere"));
}

TEST(ImageSigning, FailedKeygenLeavesNothing) {
  TempDir dir;
  fs::create_directory(dir / "ro");
  fs::permissions(dir / "ro", fs::perms::owner_read | fs::perms::owner_exec);
  std::string message =
      ErrorOfWithoutPermissionOverride([&] { generate_key_pair(dir / "ro" / "key"); });
  EXPECT_TRUE(HasText(message, "Permission denied")) << message;
  EXPECT_TRUE(list_dir(dir / "ro").empty());
}

TEST(ImageSigning, FailedKeygenRemovesTheSecretKey) {
  TempDir dir;
  // A 252-character name is allowed, its 256-character `.pub` is not (NAME_MAX is 255): the
  // secret key is written, the public key fails.
  std::string name(252, 'k');
  std::string message = ErrorOf([&] { generate_key_pair(dir / name); });
  EXPECT_TRUE(HasText(message, "creating " + quote_name(pub(dir / name)))) << message;
  EXPECT_TRUE(HasText(message, "File name too long")) << message;
  EXPECT_TRUE(list_dir(dir.path()).empty());
}

TEST(ImageSigning, SignAndVerify) {
  TempDir dir;
  generate_key_pair(dir / "key");
  std::string signature = sign_message(dir / "key", kMessage);
  auto sig = fields(signature);
  ASSERT_EQ(sig.size(), 3u);
  EXPECT_EQ(sig[0], "pot-ed25519-signature");
  EXPECT_EQ(sig[1], fields(read_text(dir / "key.pub"))[1]);
  EXPECT_EQ(signature.back(), '\n');
  EXPECT_NO_THROW(verify_message(pub(dir / "key"), kMessage, signature));
  // Without its newline (pasted) it is the same signature.
  signature.pop_back();
  EXPECT_NO_THROW(verify_message(pub(dir / "key"), kMessage, signature));
  // The empty message can be signed too.
  EXPECT_NO_THROW(verify_message(pub(dir / "key"), "", sign_message(dir / "key", "")));
}

TEST(ImageSigning, TamperedMessageFails) {
  TempDir dir;
  generate_key_pair(dir / "key");
  std::string signature = sign_message(dir / "key", kMessage);
  std::string tampered = kMessage;
  tampered[0] = 'c';
  EXPECT_EQ(ErrorOf([&] { verify_message(pub(dir / "key"), tampered, signature); }),
            "signature does not verify with " + quote_name(pub(dir / "key")) +
                ": the signed file was changed or the signature forged");
  EXPECT_TRUE(
      HasText(ErrorOf([&] { verify_message(pub(dir / "key"), kMessage + "\n", signature); }),
              "does not verify"));
}

TEST(ImageSigning, ForgedSignatureFails) {
  TempDir dir;
  generate_key_pair(dir / "key");
  auto sig = fields(sign_message(dir / "key", kMessage));
  // Flip bits in the first base64 character of the signature bytes: still well-formed.
  sig[2][0] = sig[2][0] == 'A' ? 'B' : 'A';
  std::string forged = sig[0] + " " + sig[1] + " " + sig[2] + "\n";
  EXPECT_TRUE(HasText(ErrorOf([&] { verify_message(pub(dir / "key"), kMessage, forged); }),
                      "signature does not verify with " + quote_name(pub(dir / "key"))));
}

TEST(ImageSigning, SignatureByAnotherKeyNamesBothKeys) {
  TempDir dir;
  generate_key_pair(dir / "alice");
  generate_key_pair(dir / "bob");
  std::string alice_id = fields(read_text(dir / "alice.pub"))[1];
  std::string bob_id = fields(read_text(dir / "bob.pub"))[1];
  std::string signature = sign_message(dir / "alice", kMessage);
  EXPECT_EQ(ErrorOf([&] { verify_message(pub(dir / "bob"), kMessage, signature); }),
            "signed by key " + alice_id + ", not by " + quote_name(pub(dir / "bob")) + " (key " +
                bob_id + ")");

  // Relabelled with bob's id, alice's signature is just a forgery.
  auto sig = fields(signature);
  std::string relabelled = sig[0] + " " + bob_id + " " + sig[2];
  EXPECT_TRUE(HasText(ErrorOf([&] { verify_message(pub(dir / "bob"), kMessage, relabelled); }),
                      "does not verify"));
}

TEST(ImageSigning, MalformedPublicKeyIsRefused) {
  TempDir dir;
  generate_key_pair(dir / "key");
  std::string signature = sign_message(dir / "key", kMessage);
  auto good = fields(read_text(dir / "key.pub"));
  std::string other_id = good[1] == "0123456789abcdef" ? "fedcba9876543210" : "0123456789abcdef";
  const std::string bad[] = {
      "",
      "\n",
      "pot-ed25519-public\n",
      good[0] + " " + good[1] + "\n",
      "ssh-ed25519 " + good[1] + " " + good[2] + "\n",
      good[0] + " " + other_id + " " + good[2] + "\n",                // id not of this key
      good[0] + " " + good[1] + " " + good[2].substr(4) + "\n",       // too short
      good[0] + " " + good[1] + " " + good[2] + "AAAA\n",             // too long
      good[0] + " " + good[1] + " " + good[2].substr(0, 43) + "!\n",  // not base64
      good[0] + " " + good[1] + " " + good[2] + " extra\n",
      good[0] + "  " + good[1] + " " + good[2] + "\n",
      read_text(dir / "key"),  // the secret key by mistake
  };
  for (const auto& text : bad) {
    write_text(dir / "bad.pub", text);
    EXPECT_EQ(
        ErrorOf([&] { verify_message(dir / "bad.pub", kMessage, signature); }),
        "public key " + quote_name((dir / "bad.pub").string()) + ": not a pot ed25519 public key")
        << text;
  }
  std::string message = ErrorOf([&] { verify_message(dir / "missing.pub", kMessage, signature); });
  EXPECT_TRUE(HasText(message, quote_name((dir / "missing.pub").string()))) << message;
  EXPECT_TRUE(HasText(message, "No such file")) << message;
}

TEST(ImageSigning, MalformedSignatureIsRefused) {
  TempDir dir;
  generate_key_pair(dir / "key");
  auto sig = fields(sign_message(dir / "key", kMessage));
  const std::string bad[] = {
      "",
      "garbage",
      sig[0] + " " + sig[1] + "\n",
      "pot-ed25519-public " + sig[1] + " " + sig[2] + "\n",
      sig[0] + " " + sig[1].substr(1) + " " + sig[2] + "\n",      // short id
      sig[0] + " " + sig[1] + "X " + sig[2] + "\n",               // id not hex
      sig[0] + " " + sig[1] + " " + sig[2].substr(0, 84) + "\n",  // truncated
      sig[0] + " " + sig[1] + " " + sig[2].substr(0, 86) + "\n",  // padding cut
      sig[0] + " " + sig[1] + " " + sig[2] + sig[2] + "\n",       // too long
      sig[0] + " " + sig[1] + " " + sig[2] + "\nsecond line\n",
      std::string(100000, 'A'),
  };
  for (const auto& text : bad) {
    EXPECT_EQ(ErrorOf([&] { verify_message(pub(dir / "key"), kMessage, text); }),
              "signature: malformed")
        << text;
  }
}

TEST(ImageSigning, SecretKeyReadableByOthersIsRefused) {
  TempDir dir;
  generate_key_pair(dir / "key");
  ::chmod((dir / "key").c_str(), 0644);
  EXPECT_EQ(ErrorOf([&] { sign_message(dir / "key", kMessage); }),
            "secret key " + quote_name((dir / "key").string()) +
                " is readable by others (mode 0644): chmod 600 it");
  ::chmod((dir / "key").c_str(), 0640);
  EXPECT_TRUE(HasText(ErrorOf([&] { sign_message(dir / "key", kMessage); }),
                      "is readable by others (mode 0640): chmod 600 it"));
  ::chmod((dir / "key").c_str(), 0602);
  EXPECT_TRUE(
      HasText(ErrorOf([&] { sign_message(dir / "key", kMessage); }), "(mode 0602): chmod 600 it"));
  ::chmod((dir / "key").c_str(), 0400);
  EXPECT_NO_THROW(sign_message(dir / "key", kMessage));
}

TEST(ImageSigning, MalformedSecretKeyIsRefused) {
  TempDir dir;
  generate_key_pair(dir / "key");
  auto good = fields(read_text(dir / "key"));
  std::string wrong_half = good[2];
  wrong_half[60] = wrong_half[60] == 'A' ? 'B' : 'A';  // in the public half
  const std::string bad[] = {
      "",
      read_text(dir / "key.pub"),
      good[0] + " " + good[1] + " " + good[2].substr(4) + "\n",
      good[0] + " " + good[1] + " " + wrong_half + "\n",
      good[0] + " 0000000000000000 " + good[2] + "\n",
      std::string(100000, 'x'),
  };
  for (const auto& text : bad) {
    fs::remove(dir / "bad");
    write_text(dir / "bad", text);
    ::chmod((dir / "bad").c_str(), 0600);
    EXPECT_EQ(ErrorOf([&] { sign_message(dir / "bad", kMessage); }),
              "secret key " + quote_name((dir / "bad").string()) + ": not a pot ed25519 secret key")
        << text;
  }
  std::string message = ErrorOf([&] { sign_message(dir / "missing", kMessage); });
  EXPECT_TRUE(HasText(message, "opening secret key " + quote_name((dir / "missing").string())))
      << message;
}

}  // namespace
}  // namespace pot::image
