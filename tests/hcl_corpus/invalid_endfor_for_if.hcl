a = "%{ if true }a%{ endfor }"
