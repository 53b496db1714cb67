def test_organiser_registers_and_submits_a_demonstration(alice, api):
    client = api(alice)
    response = client.post("/api/v1/events/", {
        "title": "Save the library", "kind": "static", "expected_attendance": 50,
        "starts_at": "2030-05-01T14:00:00Z", "ends_at": "2030-05-01T16:00:00Z",
        "assembly_point": {"type": "Point", "coordinates": [-82.99, 39.96]},
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"].startswith("PAR-")
    assert body["state"] == "draft"
    response = client.post(f"/api/v1/events/{body['id']}/transitions/", {"to": "submitted"},
                           format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "submitted"
