// Job files: parse + evaluate + decode + canonicalize (jobspec::parse_job), per file.
// Targets (issue 13): the seed's job file under 1 ms, a 2,000-line job file under 50 ms.
// Run: build/release/bench/jobspec_parse [--benchmark_repetitions=5]; figures in
// docs/benchmarks.md. The seed's job is examples/seed.nomad; the large one is generated
// here (realistic: variables, locals, functions, templates, for expressions, services,
// checks, constraints, heredocs), so its size is a parameter, not a checked-in file.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "hcl/parser.h"
#include "jobspec/jobspec.h"

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// One group of about 60 lines; `groups` of them plus the head make the file.
void append_group(std::ostringstream& out, int index) {
  out << "  group \"web-" << index << "\" {\n"
      << "    count = var.replicas\n"
      << "    network {\n"
      << "      port \"http\" { to = 80 }\n"
      << "      port \"admin\" {}\n"
      << "    }\n"
      << "    restart {\n"
      << "      attempts = 3\n"
      << "      interval = \"10m\"\n"
      << "      delay    = \"20s\"\n"
      << "      mode     = \"delay\"\n"
      << "    }\n"
      << "    constraint {\n"
      << "      attribute = \"${attr.kernel.name}\"\n"
      << "      value     = \"linux\"\n"
      << "    }\n"
      << "    task \"nginx\" {\n"
      << "      driver = \"pot\"\n"
      << "      config {\n"
      << "        image    = var.registry\n"
      << "        pot      = \"nginx-" << index << "\"\n"
      << "        tag      = local.tag\n"
      << "        command  = \"nginx -g 'daemon off;'\"\n"
      << "        port_map = { http = \"80\" }\n"
      << "        copy     = [for f in local.files : \"/www/${f}:/usr/local/www/${f}\"]\n"
      << "      }\n"
      << "      env {\n"
      << "        INDEX    = \"" << index << "\"\n"
      << "        UPSTREAM = \"${NOMAD_ADDR_http}\"\n"
      << "        NAME     = format(\"%s-%03d\", local.prefix, " << index << ")\n"
      << "        TAGS     = join(\",\", [for t in local.tags : upper(t)])\n"
      << "      }\n"
      << "      service {\n"
      << "        name = \"${local.prefix}-web-" << index << "\"\n"
      << "        port = \"http\"\n"
      << "        tags = concat(local.tags, [\"group-" << index << "\"])\n"
      << "        check {\n"
      << "          type     = \"http\"\n"
      << "          path     = \"/health\"\n"
      << "          interval = \"10s\"\n"
      << "          timeout  = \"2s\"\n"
      << "        }\n"
      << "      }\n"
      << "      template {\n"
      << "        destination = \"local/app.conf\"\n"
      << "        data        = <<-EOT\n"
      << "          listen {{ env \"NOMAD_PORT_http\" }};\n"
      << "          server_name web-" << index << ";\n"
      << "          %{ for t in local.tags ~}\n"
      << "          # ${t}\n"
      << "          %{ endfor ~}\n"
      << "        EOT\n"
      << "      }\n"
      << "      resources {\n"
      << "        cpu    = " << 100 + index << "\n"
      << "        memory = var.memory\n"
      << "      }\n"
      << "      kill_timeout = \"10s\"\n"
      << "    }\n"
      << "  }\n";
}

std::string large_job(int lines) {
  std::ostringstream out;
  out << "variable \"registry\" {\n  type    = string\n  default = "
         "\"http://127.0.0.1:5000/registry/\"\n}\n"
      << "variable \"replicas\" {\n  type    = number\n  default = 2\n}\n"
      << "variable \"memory\" {\n  type    = number\n  default = 128\n  validation {\n"
      << "    condition     = var.memory >= 64\n    error_message = \"at least 64 MB\"\n  }\n}\n"
      << "locals {\n  tag    = \"1.0\"\n  prefix = lower(\"BENCH\")\n"
      << "  tags   = [\"a\", \"b\", \"c\"]\n  files  = [\"index.html\", \"style.css\"]\n}\n"
      << "job \"large\" {\n  datacenters = [\"dc1\"]\n  type        = \"service\"\n";
  int index = 0;
  while (std::count(out.view().begin(), out.view().end(), '\n') < lines - 1) {
    append_group(out, index++);
  }
  out << "}\n";
  return out.str();
}

void run(benchmark::State& state, const std::string& source, const std::string& name) {
  jobspec::ParseOptions options;
  options.allow_filesystem = false;
  for (auto _ : state) {
    jobspec::Json job = jobspec::parse_job(source, name, options);
    benchmark::DoNotOptimize(job);
  }
  state.counters["lines"] = static_cast<double>(std::count(source.begin(), source.end(), '\n'));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(source.size()));
}

void BM_SeedJob(benchmark::State& state) {
  static const std::string source = read_file(POT_SOURCE_DIR "/examples/seed.nomad");
  run(state, source, "seed.nomad");
}
BENCHMARK(BM_SeedJob)->Unit(benchmark::kMicrosecond);

void BM_LargeJob(benchmark::State& state) {
  static const std::string source = large_job(static_cast<int>(state.range(0)));
  run(state, source, "large.nomad");
}
BENCHMARK(BM_LargeJob)->Arg(2000)->Unit(benchmark::kMillisecond);

// The syntax alone (hcl::parse_file), to tell the parser's share from evaluation, decoding
// and canonicalization.
void BM_LargeJobSyntaxOnly(benchmark::State& state) {
  static const std::string source = large_job(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    hcl::File file = hcl::parse_file(source, "large.nomad");
    benchmark::DoNotOptimize(file);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(source.size()));
}
BENCHMARK(BM_LargeJobSyntaxOnly)->Arg(2000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
