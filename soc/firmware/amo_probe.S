/* uint32_t soc_amoadd(volatile uint32_t *p, uint32_t v): one amoadd.w, on purpose. The AXI4
 * bridge has no form for it and must answer it with a bus error. Kept out of the C sources, which
 * the build checks for compiler-emitted AMOs. */
    .text
    .globl soc_amoadd
soc_amoadd:
    amoadd.w a0, a1, (a0)
    ret
