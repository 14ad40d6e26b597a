a = "%{ if x }yes%{ else }no%{ endif } %{ for i in l }${i},%{ endfor }"
b = "$${x} %%{y}"
