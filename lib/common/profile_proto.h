/*
 * profile_proto.h — the field numbers of perftools.profiles.Profile
 * (google/pprof's proto/profile.proto; reference §2), one enum per message,
 * for every encoder and decoder of the format: the library's pprof_encode.c
 * and the tool's profile_decode.c and profile_encode.c.
 */
#ifndef CPROF_PROFILE_PROTO_H
#define CPROF_PROFILE_PROTO_H

/* message Profile */
enum profile_field {
    PROFILE_SAMPLE_TYPE = 1, /* repeated ValueType */
    PROFILE_SAMPLE = 2,      /* repeated Sample */
    PROFILE_MAPPING = 3,     /* repeated Mapping */
    PROFILE_LOCATION = 4,    /* repeated Location */
    PROFILE_FUNCTION = 5,    /* repeated Function */
    PROFILE_STRING_TABLE = 6,
    PROFILE_DROP_FRAMES = 7,
    PROFILE_KEEP_FRAMES = 8,
    PROFILE_TIME_NANOS = 9,
    PROFILE_DURATION_NANOS = 10,
    PROFILE_PERIOD_TYPE = 11, /* ValueType */
    PROFILE_PERIOD = 12,
    PROFILE_COMMENT = 13, /* repeated string index */
    PROFILE_DEFAULT_SAMPLE_TYPE = 14,
    PROFILE_DOC_URL = 15,
};

/* message ValueType */
enum value_type_field {
    VALUE_TYPE_TYPE = 1,
    VALUE_TYPE_UNIT = 2,
};

/* message Sample */
enum sample_field {
    SAMPLE_LOCATION_ID = 1, /* repeated, packed */
    SAMPLE_VALUE = 2,       /* repeated, packed */
    SAMPLE_LABEL = 3,       /* repeated Label */
};

/* message Label */
enum label_field {
    LABEL_KEY = 1,
    LABEL_STR = 2,
    LABEL_NUM = 3,
    LABEL_NUM_UNIT = 4,
};

/* message Mapping */
enum mapping_field {
    MAPPING_ID = 1,
    MAPPING_MEMORY_START = 2,
    MAPPING_MEMORY_LIMIT = 3,
    MAPPING_FILE_OFFSET = 4,
    MAPPING_FILENAME = 5,
    MAPPING_BUILD_ID = 6,
    MAPPING_HAS_FUNCTIONS = 7,
    MAPPING_HAS_FILENAMES = 8,
    MAPPING_HAS_LINE_NUMBERS = 9,
    MAPPING_HAS_INLINE_FRAMES = 10,
};

/* message Location */
enum location_field {
    LOCATION_ID = 1,
    LOCATION_MAPPING_ID = 2,
    LOCATION_ADDRESS = 3,
    LOCATION_LINE = 4, /* repeated Line */
    LOCATION_IS_FOLDED = 5,
};

/* message Line */
enum line_field {
    LINE_FUNCTION_ID = 1,
    LINE_LINE = 2,
    LINE_COLUMN = 3,
};

/* message Function */
enum function_field {
    FUNCTION_ID = 1,
    FUNCTION_NAME = 2,
    FUNCTION_SYSTEM_NAME = 3,
    FUNCTION_FILENAME = 4,
    FUNCTION_START_LINE = 5,
};

#endif
