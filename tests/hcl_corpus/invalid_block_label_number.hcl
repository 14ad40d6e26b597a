block 5 {
}
