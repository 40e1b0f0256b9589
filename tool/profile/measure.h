/*
 * measure.h — units and number formatting, transcribed from google/pprof's
 * internal/measurement so that every printed value and percentage matches
 * go tool pprof character for character.
 */
#ifndef CPROF_TOOL_MEASURE_H
#define CPROF_TOOL_MEASURE_H

#include <stdint.h>

/* Scale value from from_unit to to_unit ("minimum"/"auto" pick a readable
 * unit). *unit_out receives the unit of the result ("" when uninteresting,
 * e.g. counts). measurement.Scale. */
double measure_scale(int64_t value, const char *from_unit, const char *to_unit,
                     const char **unit_out);
/* "%.2f" of the scaled value without a trailing ".00", plus the unit; "0"
 * for zero. measurement.ScaledLabel. out needs 64 bytes. */
char *measure_scaled_label(char *out, int64_t value, const char *from_unit, const char *to_unit);
/* measurement.Label: ScaledLabel with "auto". */
char *measure_label(char *out, int64_t value, const char *unit);
/* "12.34%", "  100%", "0.5%" ... measurement.Percentage. out needs 32 bytes. */
char *measure_percentage(char *out, int64_t value, int64_t total);
/* Whether two units belong to the same family (bytes, time, GCU). */
int measure_same_family(const char *unit_a, const char *unit_b);

#endif
