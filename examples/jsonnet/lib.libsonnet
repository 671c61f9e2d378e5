{
  service(name):: {
    source: {
      repoURL: 'https://github.com/example/platform.git',
      path: 'services/' + name,
      targetRevision: 'main',
    },
    destination: { namespace: name },
    syncPolicy: { automated: true },
  },
}
