a = "tab\qx"
