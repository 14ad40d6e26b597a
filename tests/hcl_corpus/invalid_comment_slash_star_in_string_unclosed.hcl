a = "/* not a comment
