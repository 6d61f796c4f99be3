// Native harness: the IOC C library against the Verilated ioc_subsystem, at Verilator speed.
//
// No cocotb. Each "thread" of C library code runs on a coroutine bound to an agent (a CPU):
// makecontext gives it its own stack and setcontext enters it once; from then on it and the
// scheduler switch with _setjmp/_longjmp, which save no signal mask (swapcontext makes a
// sigprocmask system call per switch, two per bus operation: over a third of the run time).
// Every load, store, LL and SC it makes (firmware/arch/rtl/ioc_arch.h) parks it and
// becomes one AXI transaction on its agent's port s<k>_axi (LL/SC = exclusive read/write,
// AxPROT[0] = privileged). Every agent drives its port concurrently, so the subsystem's
// arbitration and LL/SC monitor are the real ones. Between two operations the scheduler may
// switch to another thread of the same agent (a preemption point: resv_clear pulses, as an
// interrupt or vCPU switch would); a supervisor restarts the consumer's agent through
// AGENT_CTRL and the harness kills its threads while agent_rst is high and boots a new
// incarnation after it. Every send and receive goes to a history file the Python checkers
// (sw_model.checkers) judge; the last line of stdout is a summary.
//
// Scenarios: stress (many producers, preemption), restart (stress + consumer restarts),
// fig3 (the paper's Fig. 3 schedule replayed exactly, then free running). With the hwfifo
// variant every producer runs on agent 0, the sender of the channel's message FIFO; a
// refused FIFO write (ioc_arch_try_store) is counted as "refused", not as a bus error, unless
// --hide-refusals 1 makes the arch layer report it as accepted (the negative control of the
// library's back-pressure: the message is then lost, and the checkers must say so). A restart
// on hwfifo flushes the consumer's FIFO: the supervisor holds the producers off across it
// (ioc_flush_hold, the FIFO's send lock) and reports the newest messages of the producers'
// push log flushed, as many as FIFO_STATUS.DROPPED moved (ioc_flush_count; history event
// "flushed"), unless --hide-flushes 1 leaves them out (the negative control: the checkers
// must find exactly those messages lost).

#include <setjmp.h>
#include <ucontext.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <verilated.h>

#include "ioc_ports.h"  // generated: IOC_MODEL(_HEADER), IOC_N_AGENTS, IOC_FOR_EACH_AGENT(X)
#include IOC_MODEL_HEADER
#include "ioc.h"
#include "message.h"

namespace {

enum class Op { LOAD, STORE, TRY_STORE, LL, SC, PAUSE, DONE };

struct Pins {
    uint8_t *arvalid, *arready, *arlock, *arprot, *arsize, *arburst, *arlen, *arid, *arcache;
    uint32_t *araddr;
    uint8_t *rvalid, *rready, *rresp;
    uint32_t *rdata;
    uint8_t *awvalid, *awready, *awlock, *awprot, *awsize, *awburst, *awlen, *awid, *awcache;
    uint32_t *awaddr;
    uint8_t *wvalid, *wready, *wstrb, *wlast;
    uint32_t *wdata;
    uint8_t *bvalid, *bready, *bresp;
};

constexpr const char *VARIANT_NAMES[] = IOC_VARIANT_NAMES;

}  // namespace

struct ioc_rtl_ctx {
    ucontext_t uc;           // its first entry
    jmp_buf jb;              // where it parked
    bool started = false;
    std::vector<char> stack;
    std::string name;
    int agent = 0;
    bool priv = false;
    bool alive = true;       // false once killed (its agent was reset) or finished
    bool doomed = false;     // its agent was reset during its bus operation: dies after it
    bool finished = false;
    Op op = Op::DONE;        // the parked request
    uint32_t addr = 0, data = 0, result = 0;
    void (*body)(ioc_rtl_ctx *) = nullptr;
    void *user = nullptr;
    uint64_t bus_errors = 0;
    uint64_t refused = 0;    // try-stores answered SLVERR
};

namespace {

struct Port {
    enum State { IDLE, READ, WRITE } state = IDLE;
    bool aw_done = false, w_done = false, ar_done = false;
    ioc_rtl_ctx *owner = nullptr;  // thread whose transaction is in flight
    ioc_rtl_ctx *last = nullptr;   // thread that ran last on this agent
};

struct Config {
    std::string scenario = "stress";
    int variant = IOC_LOCKFREE;
    int producers = 4;
    int messages = 200;
    uint32_t seed = 1;
    double switch_rate = 0.05;
    int restarts = 0;
    bool hide_refusals = false;
    bool hide_flushes = false;
    int consumer_lag = 0;    // pauses of the consumer after each message: back-pressure
    uint64_t max_cycles = 50'000'000;
    std::string history;
};

Config cfg;
std::unique_ptr<IOC_MODEL> top;
Pins pins[IOC_N_AGENTS];
Port ports[IOC_N_AGENTS];
std::vector<std::unique_ptr<ioc_rtl_ctx>> threads;
jmp_buf sched_jb;            // where the scheduler resumed the running thread
ioc_rtl_ctx *running = nullptr;
std::mt19937_64 rng;
uint64_t cycle = 0;
FILE *history = nullptr;
uint8_t resv_clear_next = 0;

// -- the coroutine side (called from C library code) -----------------------------------------

void park(ioc_rtl_ctx *c, Op op, uint32_t addr, uint32_t data)
{
    c->op = op;
    c->addr = addr;
    c->data = data;
    if (!_setjmp(c->jb))
        _longjmp(sched_jb, 1);
}

void trampoline()
{
    ioc_rtl_ctx *c = running;
    c->body(c);
    c->finished = true;
    c->alive = false;
    c->op = Op::DONE;
    _longjmp(sched_jb, 1);  // never resumed again; its stack goes with it
}

// Run c until it parks (or finishes).
void resume(ioc_rtl_ctx *c)
{
    running = c;
    if (!_setjmp(sched_jb)) {
        if (c->started)
            _longjmp(c->jb, 1);
        c->started = true;
        setcontext(&c->uc);
    }
    running = nullptr;
}

ioc_rtl_ctx *spawn(const std::string &name, int agent, bool priv, void (*body)(ioc_rtl_ctx *),
                   void *user)
{
    auto t = std::make_unique<ioc_rtl_ctx>();
    t->name = name;
    t->agent = agent;
    t->priv = priv;
    t->body = body;
    t->user = user;
    t->stack.resize(64 * 1024);
    getcontext(&t->uc);
    t->uc.uc_stack.ss_sp = t->stack.data();
    t->uc.uc_stack.ss_size = t->stack.size();
    t->uc.uc_link = nullptr;
    makecontext(&t->uc, trampoline, 0);
    ioc_rtl_ctx *raw = t.get();
    threads.push_back(std::move(t));
    resume(raw);  // runs to its first request
    return raw;
}

}  // namespace

extern "C" uint32_t ioc_rtl_load(ioc_rtl_ctx *c, uint32_t addr)
{
    park(c, Op::LOAD, addr, 0);
    return c->result;
}

extern "C" void ioc_rtl_store(ioc_rtl_ctx *c, uint32_t addr, uint32_t value)
{
    park(c, Op::STORE, addr, value);
}

extern "C" int ioc_rtl_try_store(ioc_rtl_ctx *c, uint32_t addr, uint32_t value)
{
    park(c, Op::TRY_STORE, addr, value);
    return (int)c->result;
}

extern "C" uint32_t ioc_rtl_ll(ioc_rtl_ctx *c, uint32_t addr)
{
    park(c, Op::LL, addr, 0);
    return c->result;
}

extern "C" int ioc_rtl_sc(ioc_rtl_ctx *c, uint32_t addr, uint32_t value)
{
    park(c, Op::SC, addr, value);
    return (int)c->result;
}

extern "C" void ioc_rtl_pause(ioc_rtl_ctx *c)
{
    park(c, Op::PAUSE, 0, 0);
}

namespace {

// -- the guests --------------------------------------------------------------------------------

struct Shared {
    int producers_done = 0;
    int expected = 0;
    int delivered = 0;
    int restarts_done = 0;
    int incarnation = 0;
    bool supervisor_done = true;
    // per producer: the next id expected (the harness's own check: in order, no duplicate;
    // a gap is a loss, or a message reported flushed, judged by the Python checkers)
    std::vector<uint32_t> next;
    uint64_t violations = 0;
    uint64_t busy = 0;
    std::deque<uint32_t> push_log;  // hwfifo: messages pushed since the last flush report
    uint64_t flushed = 0;           // messages reported flushed
};

Shared shared;

void record(const char *kind, const ioc_rtl_ctx *c, long msg)
{
    if (!history)
        return;
    if (msg < 0)
        std::fprintf(history, "%s %s 0 %d -\n", kind, c->name.c_str(), 0);
    else
        std::fprintf(history, "%s %s 0 %d %ld\n", kind, c->name.c_str(), 0, msg);
}

struct PortChan {
    ioc_port port;
    ioc_chan chan;
};

void bind(PortChan &pc, ioc_rtl_ctx *c, ioc_side side)
{
    ioc_port_init(&pc.port, IOC_SHM_BASE, IOC_REG_BASE);
    pc.port.arch.ctx = c;
    if (ioc_chan_init(&pc.chan, &pc.port, 0, side, (ioc_variant)cfg.variant) != IOC_OK)
        std::abort();
}

void boot_body(ioc_rtl_ctx *c)
{
    PortChan pc;
    bind(pc, c, IOC_SIDE_A);
    ioc_shm_format(&pc.port);
    // channel 0: A = agent 0 (producers' side), B = the consumer's agent
    uint32_t cfg_word = IOC_FIELD_PREP(IOC_CH_CFG_EP_A, 0u)
                        | IOC_FIELD_PREP(IOC_CH_CFG_EP_B, IOC_N_AGENTS - 1u)
                        | IOC_FIELD_PREP(IOC_CH_CFG_ENABLE, 1u);
    ioc_rtl_store(c, IOC_REG_BASE + IOC_CH_CFG_OFFSET(0), cfg_word);
}

// ioc_send_logged's callback: the message is in the FIFO (under its lock when framed). The
// FIFO holds at most IOC_DEPTH messages, so older ones were received.
void log_push(void *arg)
{
    shared.push_log.push_back(*(const uint32_t *)arg);
    if (shared.push_log.size() > IOC_DEPTH)
        shared.push_log.pop_front();
}

void producer_body(ioc_rtl_ctx *c)
{
    int index = (int)(intptr_t)c->user;
    PortChan pc;
    bind(pc, c, IOC_SIDE_A);
    uint32_t words[IOC_SLOT_WORDS];
    for (int k = 0; k < cfg.messages; k++) {
        uint32_t id = message_id((uint32_t)index, (uint32_t)k);
        message_compose(id, words);
        for (;;) {
            record("send", c, id);
            int rc = ioc_send_logged(&pc.chan, words, log_push, &id);
            record(rc == IOC_OK ? "enq" : "busy", c, id);
            if (rc == IOC_OK)
                break;
            shared.busy++;
            ioc_rtl_pause(c);
        }
        if (c->agent == 0)  // the channel's endpoint A rings; others rely on the consumer polling
            ioc_doorbell(&pc.chan);
    }
    shared.producers_done++;
}

void consumer_body(ioc_rtl_ctx *c)
{
    PortChan pc;
    bind(pc, c, IOC_SIDE_B);
    ioc_attach(&pc.chan, shared.incarnation > 1);
    uint32_t words[IOC_SLOT_WORDS];
    for (;;) {
        record("deq_begin", c, -1);
        if (ioc_recv(&pc.chan, words) == IOC_OK) {
            uint32_t id = words[0];
            bool intact = message_intact(words);
            record(intact ? "deliver" : "corrupt", c, id);
            uint32_t from = message_producer(id), k = message_seq(id);
            if (!intact || from >= shared.next.size() || k < shared.next[from])
                shared.violations++;
            else
                shared.next[from] = k + 1;
            shared.delivered++;
            for (int i = 0; i < cfg.consumer_lag; i++)
                ioc_rtl_pause(c);
            continue;
        }
        record("empty", c, -1);
        if (shared.producers_done == cfg.producers && shared.supervisor_done)
            return;  // quiescent: every producer finished and the ring is empty
        uint32_t pending = ioc_pending(&pc.port);
        if (pending)
            ioc_ack(&pc.port, pending);
        ioc_rtl_pause(c);
    }
}

void supervisor_body(ioc_rtl_ctx *c)
{
    PortChan pc;
    bind(pc, c, IOC_SIDE_A);
    std::uniform_int_distribution<uint64_t> gap(200, 3000);
    for (int r = 0; r < cfg.restarts; r++) {
        uint64_t until = ioc_cycles(&pc.port) + gap(rng);
        while (ioc_cycles(&pc.port) < until)
            ioc_rtl_pause(c);
        ioc_flush_mark mark;
        bool hwfifo = cfg.variant == IOC_HWFIFO;
        if (hwfifo && ioc_flush_hold(&pc.chan, &mark) != IOC_OK)
            std::abort();
        ioc_rtl_store(c, IOC_REG_BASE + IOC_AGENT_CTRL_OFFSET(IOC_N_AGENTS - 1u),
                      IOC_FIELD_PREP(IOC_AGENT_CTRL_RESET, 1u));
        if (hwfifo) {
            uint32_t n = ioc_flush_count(&pc.chan, &mark);
            std::deque<uint32_t> &log = shared.push_log;
            if (n > log.size()) {
                std::fprintf(stderr, "harness: %u messages flushed, only %zu pushed since the "
                             "last flush report\n", n, log.size());
                std::exit(4);
            }
            if (!cfg.hide_flushes)
                for (size_t i = log.size() - n; i < log.size(); i++)
                    record("flushed", c, log[i]);
            shared.flushed += n;
            log.clear();  // the rest was received before the flush
            ioc_flush_release(&pc.chan);
        }
        // wait until the new incarnation re-attached at the new epoch
        while (ioc_peer_ready(&pc.chan) != IOC_OK)
            ioc_rtl_pause(c);
        shared.restarts_done++;
    }
    shared.supervisor_done = true;
}

// -- the scheduler -----------------------------------------------------------------------------

// The Fig. 3 script: (thread index, operations to run; -1 = until it pauses or finishes).
struct Step {
    int thread;
    int ops;
};
std::vector<Step> script;
size_t script_pos = 0;
int script_done_ops = 0;

bool eligible(const ioc_rtl_ctx *t, int agent)
{
    return t->alive && t->agent == agent;
}

ioc_rtl_ctx *choose(int agent)
{
    if (script_pos < script.size()) {
        ioc_rtl_ctx *t = threads[script[script_pos].thread].get();
        return eligible(t, agent) ? t : nullptr;
    }
    Port &p = ports[agent];
    static std::vector<ioc_rtl_ctx *> ready;  // kept: no allocation per cycle
    ready.clear();
    for (auto &t : threads)
        if (eligible(t.get(), agent))
            ready.push_back(t.get());
    if (ready.empty())
        return nullptr;
    bool keep = p.last && p.last->alive && p.last->op != Op::PAUSE
                && std::uniform_real_distribution<double>(0, 1)(rng) >= cfg.switch_rate;
    if (keep)
        return p.last;
    return ready[std::uniform_int_distribution<size_t>(0, ready.size() - 1)(rng)];
}

void script_advance(ioc_rtl_ctx *t, bool paused)
{
    if (script_pos >= script.size() || threads[script[script_pos].thread].get() != t)
        return;
    script_done_ops++;
    const Step &s = script[script_pos];
    if (t->finished || paused || (s.ops >= 0 && script_done_ops >= s.ops)) {
        script_pos++;
        script_done_ops = 0;
    }
}

void start(int agent, ioc_rtl_ctx *t)
{
    Port &p = ports[agent];
    Pins &q = pins[agent];
    if (p.last && p.last != t)
        resv_clear_next |= (uint8_t)(1u << agent);  // a switch: the reservation is lost
    p.last = t;
    if (t->op == Op::PAUSE) {
        resume(t);
        script_advance(t, true);
        return;
    }
    p.owner = t;
    bool lock = t->op == Op::LL || t->op == Op::SC;
    uint8_t prot = t->priv ? 1 : 0;
    if (t->op == Op::LOAD || t->op == Op::LL) {
        p.state = Port::READ;
        p.ar_done = false;
        *q.arvalid = 1;
        *q.araddr = t->addr;
        *q.arlock = lock;
        *q.arprot = prot;
    } else {
        p.state = Port::WRITE;
        p.aw_done = p.w_done = false;
        *q.awvalid = 1;
        *q.awaddr = t->addr;
        *q.awlock = lock;
        *q.awprot = prot;
        *q.wvalid = 1;
        *q.wdata = t->data;
    }
}

void complete(int agent, uint32_t result, uint8_t resp)
{
    Port &p = ports[agent];
    ioc_rtl_ctx *t = p.owner;
    p.owner = nullptr;
    p.state = Port::IDLE;
    bool exclusive = t->op == Op::LL || t->op == Op::SC;
    bool error = resp >= IOC_AXI_RESP_SLVERR;  // SLVERR or DECERR
    if (t->doomed && error) {
        // answered after its agent's reset rose (e.g. a receive from the FIFO the reset just
        // flushed): the CPU is in reset and never takes the bus error, and nothing follows
        t->alive = false;
        script_advance(t, false);
        return;
    }
    if (t->op == Op::SC)
        t->result = resp == IOC_AXI_RESP_EXOKAY;
    else if (t->op == Op::TRY_STORE)
        t->result = resp == IOC_AXI_RESP_OKAY || cfg.hide_refusals;
    else
        t->result = result;
    if (t->op == Op::TRY_STORE && resp != IOC_AXI_RESP_OKAY)
        t->refused++;
    else if (error || (exclusive && t->op == Op::LL && resp != IOC_AXI_RESP_EXOKAY))
        t->bus_errors++;
    resume(t);  // runs to its next request: a delivery is recorded with its commit
    if (t->doomed)
        t->alive = false;
    script_advance(t, false);
}

// The agent was reset: its threads die at their next operation (one in flight completes, as
// a CPU's bus transaction would, and its thread then dies before the next).
void kill_agent(int agent)
{
    for (auto &t : threads)
        if (t->agent == agent && t->alive) {
            if (ports[agent].owner == t.get())
                t->doomed = true;
            else
                t->alive = false;
        }
}

void bind_pins()
{
#define IOC_BIND(k)                                                                            \
    pins[k] = Pins{&top->s##k##_axi_arvalid, &top->s##k##_axi_arready, &top->s##k##_axi_arlock, \
                   &top->s##k##_axi_arprot,  &top->s##k##_axi_arsize,  &top->s##k##_axi_arburst, \
                   &top->s##k##_axi_arlen,   &top->s##k##_axi_arid,    &top->s##k##_axi_arcache, \
                   &top->s##k##_axi_araddr,  &top->s##k##_axi_rvalid,  &top->s##k##_axi_rready,  \
                   &top->s##k##_axi_rresp,   &top->s##k##_axi_rdata,   &top->s##k##_axi_awvalid, \
                   &top->s##k##_axi_awready, &top->s##k##_axi_awlock,  &top->s##k##_axi_awprot,  \
                   &top->s##k##_axi_awsize,  &top->s##k##_axi_awburst, &top->s##k##_axi_awlen,   \
                   &top->s##k##_axi_awid,    &top->s##k##_axi_awcache, &top->s##k##_axi_awaddr,  \
                   &top->s##k##_axi_wvalid,  &top->s##k##_axi_wready,  &top->s##k##_axi_wstrb,   \
                   &top->s##k##_axi_wlast,   &top->s##k##_axi_wdata,   &top->s##k##_axi_bvalid,  \
                   &top->s##k##_axi_bready,  &top->s##k##_axi_bresp};
    IOC_FOR_EACH_AGENT(IOC_BIND)
#undef IOC_BIND
    for (Pins &q : pins) {
        *q.arsize = *q.awsize = 2;   // 32-bit single beats
        *q.arburst = *q.awburst = 1; // INCR
        *q.arlen = *q.awlen = 0;
        *q.arid = *q.awid = 0;       // one ID for both halves of an exclusive pair
        *q.arcache = *q.awcache = 0;
        *q.wstrb = 0xF;
        *q.wlast = 1;
        *q.rready = *q.bready = 1;
        *q.arvalid = *q.awvalid = *q.wvalid = 0;
    }
}

// One clock cycle: start transactions on idle ports, then sample the handshakes before the
// rising edge and advance every port's state.
void tick()
{
    for (int a = 0; a < IOC_N_AGENTS; a++)
        if (ports[a].state == Port::IDLE) {
            if (ioc_rtl_ctx *t = choose(a))
                start(a, t);
        }
    top->resv_clear = resv_clear_next;
    resv_clear_next = 0;
    top->clk = 0;
    top->eval();
    struct Done {
        bool done;
        uint32_t data;
        uint8_t resp;
    } done[IOC_N_AGENTS] = {};
    for (int a = 0; a < IOC_N_AGENTS; a++) {
        Port &p = ports[a];
        Pins &q = pins[a];
        if (p.state == Port::READ) {
            if (*q.arvalid && *q.arready)
                p.ar_done = true;
            if (*q.rvalid)
                done[a] = {true, *q.rdata, *q.rresp};
        } else if (p.state == Port::WRITE) {
            if (*q.awvalid && *q.awready)
                p.aw_done = true;
            if (*q.wvalid && *q.wready)
                p.w_done = true;
            if (*q.bvalid)
                done[a] = {true, 0, *q.bresp};
        }
    }
    uint8_t rst_before = top->agent_rst;
    top->clk = 1;
    top->eval();
    cycle++;
    for (int a = 0; a < IOC_N_AGENTS; a++) {
        Pins &q = pins[a];
        if (ports[a].ar_done)
            *q.arvalid = 0;
        if (ports[a].aw_done)
            *q.awvalid = 0;
        if (ports[a].w_done)
            *q.wvalid = 0;
        if (done[a].done)
            complete(a, done[a].data, done[a].resp);
    }
    uint8_t rst_now = top->agent_rst;
    for (int a = 0; a < IOC_N_AGENTS; a++) {
        uint8_t bit = (uint8_t)(1u << a);
        if ((rst_now & bit) && !(rst_before & bit))
            kill_agent(a);
        if (!(rst_now & bit) && (rst_before & bit) && a == IOC_N_AGENTS - 1) {
            shared.incarnation++;
            spawn("c" + std::to_string(shared.incarnation), a, false, consumer_body, nullptr);
        }
    }
}

bool all_finished()
{
    for (auto &t : threads)
        if (t->alive)
            return false;
    for (Port &p : ports)
        if (p.state != Port::IDLE)
            return false;
    return true;
}

void reset()
{
    top->rst = 1;
    for (int i = 0; i < 4; i++) {
        top->clk = 0;
        top->eval();
        top->clk = 1;
        top->eval();
    }
    top->rst = 0;
}

bool run_until_quiet()
{
    while (!all_finished()) {
        if (cycle >= cfg.max_cycles)
            return false;
        tick();
    }
    return true;
}

void usage()
{
    std::fprintf(stderr,
                 "usage: harness [--scenario stress|restart|fig3] [--variant NAME]"
                 " [--producers N] [--messages N] [--seed N] [--switch-rate P] [--restarts N]"
                 " [--consumer-lag N] [--hide-refusals 0|1] [--hide-flushes 0|1] [--max-cycles N]"
                 " [--history FILE]\n"
                 "variants:");
    for (const char *name : VARIANT_NAMES)
        std::fprintf(stderr, " %s", name);
    std::fprintf(stderr, "\n");
    std::exit(2);
}

int variant_of(const std::string &name)
{
    for (int v = 0; v < (int)IOC_VARIANT_COUNT; v++)
        if (name == VARIANT_NAMES[v])
            return v;
    usage();
    return 0;
}

void parse(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        std::string k = argv[i];
        if (i + 1 >= argc)
            usage();
        std::string v = argv[++i];
        if (k == "--scenario" && (v == "stress" || v == "restart" || v == "fig3"))
            cfg.scenario = v;
        else if (k == "--variant")
            cfg.variant = variant_of(v);
        else if (k == "--producers")
            cfg.producers = std::atoi(v.c_str());
        else if (k == "--messages")
            cfg.messages = std::atoi(v.c_str());
        else if (k == "--seed")
            cfg.seed = (uint32_t)std::strtoul(v.c_str(), nullptr, 0);
        else if (k == "--switch-rate")
            cfg.switch_rate = std::atof(v.c_str());
        else if (k == "--restarts")
            cfg.restarts = std::atoi(v.c_str());
        else if (k == "--consumer-lag")
            cfg.consumer_lag = std::atoi(v.c_str());
        else if (k == "--hide-refusals" && (v == "0" || v == "1"))
            cfg.hide_refusals = v == "1";
        else if (k == "--hide-flushes" && (v == "0" || v == "1"))
            cfg.hide_flushes = v == "1";
        else if (k == "--max-cycles")
            cfg.max_cycles = std::strtoull(v.c_str(), nullptr, 0);
        else if (k == "--history")
            cfg.history = v;
        else
            usage();
    }
    if (cfg.producers < 1 || cfg.producers > 255 || cfg.messages < 1
        || cfg.messages > (int)message_seq(~0u) + 1
        || cfg.switch_rate < 0 || cfg.switch_rate > 1 || cfg.restarts < 0
        || cfg.consumer_lag < 0)
        usage();
}

}  // namespace

int main(int argc, char **argv)
{
    Verilated::commandArgs(1, argv);
    parse(argc, argv);
    if (cfg.scenario == "fig3")
        cfg.producers = 2, cfg.messages = 1;
    if (cfg.scenario != "restart")
        cfg.restarts = 0;
    rng.seed(cfg.seed);
    top = std::make_unique<IOC_MODEL>();
    bind_pins();
    reset();
    if (!cfg.history.empty() && !(history = std::fopen(cfg.history.c_str(), "w"))) {
        std::perror(cfg.history.c_str());
        return 2;
    }
    auto wall0 = std::chrono::steady_clock::now();
    spawn("boot", 0, true, boot_body, nullptr);
    if (!run_until_quiet())
        return 3;
    threads.clear();
    for (Port &p : ports)
        p.last = nullptr;
    shared.next.assign(cfg.producers, 0);
    shared.expected = cfg.producers * cfg.messages;
    const int consumer_agent = IOC_N_AGENTS - 1;
    for (int i = 0; i < cfg.producers; i++) {
        // fig3 as in sw_model: single-agent producers P0 and P1 on different agents; hwfifo:
        // only the FIFO's sender, endpoint A, may send
        int agent = cfg.scenario == "restart" || cfg.variant == IOC_HWFIFO
                    ? 0 : i % (IOC_N_AGENTS - 1);
        spawn("p" + std::to_string(i), agent, false, producer_body, (void *)(intptr_t)i);
    }
    shared.incarnation = 1;
    spawn("c1", consumer_agent, false, consumer_body, nullptr);
    if (cfg.restarts) {
        shared.supervisor_done = false;
        spawn("supervisor", 0, true, supervisor_body, nullptr);
    }
    if (cfg.scenario == "fig3")  // P0 reads the ring state, P1 enqueues, P0 resumes, C drains
        script = {{0, 2}, {1, -1}, {0, -1}, {2, -1}};
    bool quiet = run_until_quiet();
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    if (history)
        std::fclose(history);
    uint64_t bus_errors = 0, refused = 0;
    for (auto &t : threads) {
        bus_errors += t->bus_errors;
        refused += t->refused;
    }
    long lost = (long)shared.expected - (long)shared.delivered;
    std::printf("native: scenario=%s variant=%s agents=%d producers=%d messages=%d delivered=%d "
                "lost=%ld violations=%llu busy=%llu restarts=%d bus_errors=%llu refused=%llu "
                "flushed=%llu slot_words=%u cycles=%llu wall=%.3f cycles_per_s=%.0f quiescent=%d\n",
                cfg.scenario.c_str(), VARIANT_NAMES[cfg.variant],
                IOC_N_AGENTS, cfg.producers, shared.expected, shared.delivered, lost,
                (unsigned long long)shared.violations, (unsigned long long)shared.busy,
                shared.restarts_done, (unsigned long long)bus_errors,
                (unsigned long long)refused, (unsigned long long)shared.flushed,
                (unsigned)IOC_SLOT_WORDS,
                (unsigned long long)cycle, wall, wall > 0 ? cycle / wall : 0.0, quiet ? 1 : 0);
    top->final();
    top.reset();  // before the static Verilated context goes away
    return quiet ? 0 : 3;
}
