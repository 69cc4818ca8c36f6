-- The tables of an original ImageTagger 0.6 database that import_imagetagger reads, written from the
-- reference spec §1 (Django's default table and column names). Tests create them in a scratch database.

CREATE TABLE users_user (
    id serial PRIMARY KEY,
    password varchar(128) NOT NULL,
    last_login timestamptz NULL,
    is_superuser boolean NOT NULL,
    username varchar(150) NOT NULL UNIQUE,
    first_name varchar(150) NOT NULL,
    last_name varchar(150) NOT NULL,
    email varchar(254) NOT NULL,
    is_staff boolean NOT NULL,
    is_active boolean NOT NULL,
    date_joined timestamptz NOT NULL,
    points integer NOT NULL DEFAULT 0
);

CREATE TABLE users_team (
    id serial PRIMARY KEY,
    name varchar(100) NOT NULL UNIQUE,
    website varchar(100) NOT NULL DEFAULT ''
);

CREATE TABLE users_teammembership (
    id serial PRIMARY KEY,
    is_admin boolean NOT NULL DEFAULT false,
    team_id integer NOT NULL REFERENCES users_team (id),
    user_id integer NOT NULL REFERENCES users_user (id)
);

CREATE TABLE annotations_annotationtype (
    id serial PRIMARY KEY,
    name varchar(20) NOT NULL UNIQUE,
    active boolean NOT NULL DEFAULT true,
    vector_type integer NOT NULL DEFAULT 1,
    node_count integer NOT NULL DEFAULT 0,
    enable_concealed boolean NOT NULL DEFAULT true,
    enable_blurred boolean NOT NULL DEFAULT true
);

CREATE TABLE images_imageset (
    id serial PRIMARY KEY,
    path varchar(100) NULL UNIQUE,
    name varchar(100) NOT NULL,
    location varchar(100) NULL,
    description text NULL,
    time timestamptz NOT NULL,
    public boolean NOT NULL DEFAULT false,
    public_collaboration boolean NOT NULL DEFAULT false,
    image_lock boolean NOT NULL DEFAULT false,
    priority integer NOT NULL DEFAULT 0,
    zip_state integer NOT NULL DEFAULT 0,
    creator_id integer NULL REFERENCES users_user (id),
    main_annotation_type_id integer NULL REFERENCES annotations_annotationtype (id),
    team_id integer NULL REFERENCES users_team (id),
    UNIQUE (name, team_id)
);

CREATE TABLE images_imageset_pinned_by (
    id serial PRIMARY KEY,
    imageset_id integer NOT NULL REFERENCES images_imageset (id),
    user_id integer NOT NULL REFERENCES users_user (id),
    UNIQUE (imageset_id, user_id)
);

CREATE TABLE images_image (
    id serial PRIMARY KEY,
    name varchar(100) NOT NULL,
    filename varchar(100) NOT NULL UNIQUE,
    time timestamptz NOT NULL,
    checksum bytea NOT NULL,
    width integer NOT NULL DEFAULT 800,
    height integer NOT NULL DEFAULT 600,
    image_set_id integer NOT NULL REFERENCES images_imageset (id)
);

CREATE TABLE images_settag (
    id serial PRIMARY KEY,
    name varchar(100) NOT NULL UNIQUE
);

CREATE TABLE images_settag_imagesets (
    id serial PRIMARY KEY,
    settag_id integer NOT NULL REFERENCES images_settag (id),
    imageset_id integer NOT NULL REFERENCES images_imageset (id),
    UNIQUE (settag_id, imageset_id)
);

CREATE TABLE annotations_annotation (
    id serial PRIMARY KEY,
    vector jsonb NULL,
    _concealed boolean NOT NULL DEFAULT false,
    _blurred boolean NOT NULL DEFAULT false,
    closed boolean NOT NULL DEFAULT false,
    time timestamptz NOT NULL,
    last_edit_time timestamptz NOT NULL,
    annotation_type_id integer NOT NULL REFERENCES annotations_annotationtype (id),
    image_id integer NOT NULL REFERENCES images_image (id),
    last_editor_id integer NULL REFERENCES users_user (id),
    user_id integer NULL REFERENCES users_user (id)
);

CREATE TABLE annotations_verification (
    id serial PRIMARY KEY,
    time timestamptz NOT NULL,
    verified boolean NOT NULL,
    annotation_id integer NOT NULL REFERENCES annotations_annotation (id),
    user_id integer NULL REFERENCES users_user (id),
    UNIQUE (annotation_id, user_id)
);

CREATE TABLE annotations_exportformat (
    id serial PRIMARY KEY,
    name varchar(20) NOT NULL UNIQUE,
    last_change_time timestamptz NOT NULL,
    public boolean NOT NULL DEFAULT false,
    base_format text NOT NULL,
    image_format text NULL,
    annotation_format text NOT NULL,
    vector_format text NOT NULL,
    not_in_image_format text NOT NULL,
    name_format varchar(200) NOT NULL,
    min_verifications integer NOT NULL DEFAULT 0,
    image_aggregation boolean NOT NULL DEFAULT false,
    include_blurred boolean NOT NULL DEFAULT true,
    include_concealed boolean NOT NULL DEFAULT true,
    team_id integer NOT NULL REFERENCES users_team (id)
);

CREATE TABLE annotations_exportformat_annotations_types (
    id serial PRIMARY KEY,
    exportformat_id integer NOT NULL REFERENCES annotations_exportformat (id),
    annotationtype_id integer NOT NULL REFERENCES annotations_annotationtype (id),
    UNIQUE (exportformat_id, annotationtype_id)
);

CREATE TABLE annotations_export (
    id serial PRIMARY KEY,
    time timestamptz NOT NULL,
    annotation_count integer NOT NULL,
    export_text text NOT NULL,
    filename text NOT NULL,
    format_id integer NULL REFERENCES annotations_exportformat (id),
    image_set_id integer NOT NULL REFERENCES images_imageset (id),
    user_id integer NULL REFERENCES users_user (id)
);

CREATE TABLE tools_tool (
    id serial PRIMARY KEY,
    name varchar(100) NOT NULL,
    filename varchar(255) NULL,
    description text NOT NULL,
    creation_date timestamptz NOT NULL,
    public boolean NOT NULL DEFAULT false,
    creator_id integer NULL REFERENCES users_user (id),
    team_id integer NULL REFERENCES users_team (id)
);

CREATE TABLE tagger_messages_message (
    id serial PRIMARY KEY,
    title varchar(100) NOT NULL,
    content text NOT NULL,
    creation_time timestamptz NOT NULL,
    start_time timestamptz NOT NULL,
    expire_time timestamptz NOT NULL,
    creator_id integer NULL REFERENCES users_user (id)
);

CREATE TABLE tagger_messages_message_read_by (
    id serial PRIMARY KEY,
    message_id integer NOT NULL REFERENCES tagger_messages_message (id),
    user_id integer NOT NULL REFERENCES users_user (id),
    UNIQUE (message_id, user_id)
);

CREATE TABLE tagger_messages_teammessage (
    message_ptr_id integer PRIMARY KEY REFERENCES tagger_messages_message (id),
    admins_only boolean NOT NULL,
    team_id integer NOT NULL REFERENCES users_team (id)
);

CREATE TABLE tagger_messages_globalmessage (
    message_ptr_id integer PRIMARY KEY REFERENCES tagger_messages_message (id),
    team_admins_only boolean NOT NULL,
    staff_only boolean NOT NULL
);
