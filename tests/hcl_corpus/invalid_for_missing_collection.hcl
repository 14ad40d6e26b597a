a = "%{ for x in }x%{ endfor }"
