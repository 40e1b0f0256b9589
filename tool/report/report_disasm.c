/*
 * report_disasm.c — `disasm REGEX`: the instructions of every matching
 * function with the flat and cum of each, as google/pprof's PrintAssembly
 * prints them (report.go).
 *
 * The graph is built at address granularity without inlines (the driver's
 * overrides), binary names kept. For every mapping whose binary has a
 * matching node (or holds the address REGEX names, when it parses as a
 * number), the binary is opened as the symbolizer finds it (objfile_open),
 * its symbols read with nm and those matching kept; each symbol with
 * samples is disassembled with objdump over [start, end] and each
 * instruction gets the nodes whose file address lies between it and the
 * next one. Symbols are listed by the first letter of their name, then
 * address (pprof's order). A binary that cannot be found or read costs one
 * line on stderr (pprof prints it on stdout) and is skipped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profile/filters.h"
#include "profile/measure.h"
#include "report.h"
#include "symbolize/objtool.h"

/* One symbol of one binary and the graph's nodes in it. */
typedef struct disasm_sym {
    obj_sym sym;
    objfile *file; /* shared by the symbols of one mapping */
    gnode **nodes;
    size_t n_nodes;
} disasm_sym;

/* strconv.ParseUint(s, 0, 64) (report.h). */
bool report_symbol_address(const char *s, uint64_t *out)
{
    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

/* byName: the first byte of the first name, then the start address. */
static int cmp_sym(const void *a, const void *b)
{
    const disasm_sym *x = a, *y = b;
    unsigned char cx = (unsigned char)x->sym.names[0][0], cy = (unsigned char)y->sym.names[0][0];
    if (cx != cy)
        return cx < cy ? -1 : 1;
    return (x->sym.start > y->sym.start) - (x->sym.start < y->sym.start);
}

/* symbolsFromBinaries + nodesPerSymbol: the symbols with nodes, into *out
 * (caller frees with free_syms); the objfiles opened into *files. */
static size_t find_symbols(report *r, graph *g, const uint64_t *address, disasm_sym **out,
                           objfile ***files, size_t *n_files)
{
    const cp_profile *p = r->p;
    const char **wanted = xcalloc(g->n_nodes + 1, sizeof *wanted);
    size_t n_wanted = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const gnode *n = g->nodes[i];
        /* pprof matches the printable name only, which at address
         * granularity starts with the address, so "^name$" (what the web
         * UI's refine menu builds) found nothing; the name alone counts too */
        if (*n->info.objfile &&
            (regex_match(r->o.symbol, n->printable) || regex_match(r->o.symbol, n->info.name)))
            wanted[n_wanted++] = n->info.objfile; /* interned: compared by pointer */
    }
    size_t count = 0, room = 0;
    *out = NULL;
    *files = xcalloc(p->n_mappings + 1, sizeof **files);
    *n_files = 0;
    for (size_t i = 0; i < p->n_mappings; i++) {
        const cp_mapping *m = p->mappings[i];
        bool has = false;
        for (size_t k = 0; k < n_wanted && !has; k++)
            has = wanted[k] == m->file;
        if (!has && !(address && m->start <= *address && *address <= m->limit))
            continue;
        cp_err err;
        objfile *f = objfile_open(m, r->o.symbolize, &err);
        if (!f) {
            objfile_say_once(&err);
            continue;
        }
        obj_sym *syms;
        size_t n_syms;
        if (objtool_symbols(objfile_path(f), r->o.symbol, address ? *address : 0, &syms, &n_syms,
                            &err) != 0) {
            fprintf(stderr, "cprof: %s\n", err.msg);
            objfile_close(f);
            continue;
        }
        (*files)[(*n_files)++] = f;
        for (size_t s = 0; s < n_syms; s++) {
            disasm_sym d = {.sym = syms[s], .file = f};
            for (size_t k = 0; k < g->n_nodes; k++) {
                uint64_t a;
                if (objfile_addr(f, g->nodes[k]->info.address, &a) && a >= d.sym.start &&
                    a < d.sym.end) {
                    d.nodes = xrealloc(d.nodes, d.n_nodes + 1, sizeof *d.nodes);
                    d.nodes[d.n_nodes++] = g->nodes[k];
                }
            }
            if (!d.n_nodes) {
                for (size_t j = 0; j < d.sym.n_names; j++)
                    free(d.sym.names[j]);
                free(d.sym.names);
                continue;
            }
            if (count == room) {
                room = room ? room * 2 : 16;
                *out = xrealloc(*out, room, sizeof **out);
            }
            (*out)[count++] = d;
        }
        free(syms);
    }
    free(wanted);
    return count;
}

/* Frees the symbols, their node lists and names, and closes the binaries. */
static void free_syms(disasm_sym *v, size_t n, objfile **files, size_t n_files)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < v[i].sym.n_names; j++)
            free(v[i].sym.names[j]);
        free(v[i].sym.names);
        free(v[i].nodes);
    }
    free(v);
    for (size_t i = 0; i < n_files; i++)
        objfile_close(files[i]);
    free(files);
}

/* annotateAssembly and the printing loop of PrintAssembly for one symbol. */
static void print_symbol(report *r, FILE *out, disasm_sym *d, const obj_inst *insts, size_t n_insts)
{
    char a[64], b[64], pct[32];
    int64_t flat_sum, cum_sum;
    nodes_sum(d->nodes, d->n_nodes, &flat_sum, &cum_sum);
    graph_sort(d->nodes, d->n_nodes, ORDER_ADDRESS);
    fprintf(out, "ROUTINE ======================== %s\n", d->sym.names[0]);
    for (size_t i = 1; i < d->sym.n_names; i++)
        fprintf(out, "    AKA ======================== %s\n", d->sym.names[i]);
    fprintf(out, "%10s %10s (flat, cum) %s of Total\n", report_format_value(r, flat_sum, a),
            report_format_value(r, cum_sum, b), measure_percentage(pct, cum_sum, r->total));
    const char *function = "", *file = "";
    int64_t line = 0;
    size_t s = 0;
    for (size_t i = 0; i < n_insts; i++) {
        uint64_t next = i + 1 < n_insts ? insts[i + 1].addr : UINT64_MAX;
        const char *fn = insts[i].function;
        const char *fl = *insts[i].file ? path_base(insts[i].file) : "";
        int64_t ln = insts[i].line;
        int64_t flat = 0, flat_div = 0, cum = 0, cum_div = 0;
        for (; s < d->n_nodes; s++) {
            uint64_t addr;
            if (!objfile_addr(d->file, d->nodes[s]->info.address, &addr) || addr >= next)
                break;
            const gnode *n = d->nodes[s];
            flat_div += n->flat_div;
            flat += n->flat;
            cum_div += n->cum_div;
            cum += n->cum;
            if (*n->info.file && !*fl)
                fl = path_base(n->info.file);
            if (n->info.lineno && !ln)
                ln = n->info.lineno;
            if (*n->info.name && !*fn)
                fn = n->info.name;
        }
        if (flat_div)
            flat /= flat_div;
        if (cum_div)
            cum /= cum_div;
        char loc[1200] = "";
        if (strcmp(fn, function) || strcmp(fl, file) || ln != line) {
            function = fn, file = fl, line = ln;
            size_t k = 0;
            if (*fn)
                k += (size_t)snprintf(loc, sizeof loc, "%s ", fn);
            if (*fl && k < sizeof loc) {
                k += (size_t)snprintf(loc + k, sizeof loc - k, "%s", fl);
                if (ln && k < sizeof loc)
                    snprintf(loc + k, sizeof loc - k, ":%lld", (long long)ln);
            }
        }
        const char *text = insts[i].text;
        if (!*loc)
            fprintf(out, "%10s %10s %10llx: %s\n", report_value_or_dot(r, flat, a),
                    report_value_or_dot(r, cum, b), (unsigned long long)insts[i].addr, text);
        else if (strlen(text) < 40)
            fprintf(out, "%10s %10s %10llx: %-40s;%s\n", report_value_or_dot(r, flat, a),
                    report_value_or_dot(r, cum, b), (unsigned long long)insts[i].addr, text, loc);
        else {
            fprintf(out, "%74s;%s\n", "", loc);
            fprintf(out, "%10s %10s %10llx: %s\n", report_value_or_dot(r, flat, a),
                    report_value_or_dot(r, cum, b), (unsigned long long)insts[i].addr, text);
        }
    }
}

/* PrintAssembly (report.h): Total, then each matching symbol with samples. */
int report_disasm(report *r, FILE *out, cp_err *err)
{
    graph *g = report_new_graph(r, NULL, true);
    uint64_t address = 0;
    bool has_address = report_symbol_address(r->o.symbol_src, &address);
    disasm_sym *syms;
    objfile **files;
    size_t n_files;
    size_t n = find_symbols(r, g, has_address ? &address : NULL, &syms, &files, &n_files);
    int rc = 0;
    if (n == 0) {
        cp_err_set(err, "no matches found for regexp: %s", r->o.symbol_src);
        rc = -1;
    } else {
        char total[64];
        fprintf(out, "Total: %s\n", report_format_value(r, r->total, total));
    }
    if (n > 1)
        qsort(syms, n, sizeof *syms, cmp_sym);
    for (size_t i = 0; i < n && rc == 0; i++) {
        obj_inst *insts;
        size_t n_insts;
        if (objtool_disasm(objfile_path(syms[i].file), syms[i].sym.start, syms[i].sym.end, &insts,
                           &n_insts, err) != 0) {
            rc = -1;
            break;
        }
        print_symbol(r, out, &syms[i], insts, n_insts);
        objtool_insts_free(insts, n_insts);
    }
    free_syms(syms, n, files, n_files);
    graph_free(g);
    return rc;
}
