// A parameterized batch job, run by dispatch with a payload.
job "transcode" {
  type = "batch"

  parameterized {
    payload       = "required"
    meta_required = ["input", "format"]
    meta_optional = ["bitrate"]
  }

  meta {
    bitrate = "2000k"
  }

  group "work" {
    task "ffmpeg" {
      driver = "pot"

      dispatch_payload {
        file = "input.json"
      }

      config {
        image = "ffmpeg"
        args  = ["-i", "${NOMAD_META_input}", "-b", "${NOMAD_META_bitrate}"]
      }
    }
  }
}
