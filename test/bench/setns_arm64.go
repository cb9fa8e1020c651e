package bench

// sysSetns is setns(2)'s system call number on linux/arm64.
const sysSetns = 268
