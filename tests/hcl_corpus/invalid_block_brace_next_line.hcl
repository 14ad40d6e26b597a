job "x"
{
}
